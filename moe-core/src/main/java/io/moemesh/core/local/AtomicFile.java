package io.moemesh.core.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replaces a file whole: the content goes to a temporary file beside it, which is renamed over it,
 * so that a reader polling the file (the router, the placement controller, {@code moe status}) sees
 * the old content or the new, never a part.
 */
public final class AtomicFile {

    /** Temporary names unique within this process; the pid makes them unique between writers. */
    private static final AtomicLong WRITES = new AtomicLong();

    private AtomicFile() {
    }

    /** Writes {@code content} (UTF-8) to {@code file}, creating its directory. */
    public static void write(Path file, String content) {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + WRITES.incrementAndGet() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING); // same directory: still one rename
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write failed already; that error is the one to report
            }
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
