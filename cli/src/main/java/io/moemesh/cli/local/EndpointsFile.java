package io.moemesh.cli.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code <state-dir>/expert-endpoints}: the expert endpoints the router calls, one {@code host:port} per
 * line, {@code #} comments. {@code moe up} writes it before it starts the router, which reads it with
 * {@code moemesh.router.discovery=file} and follows its changes; the placement controller rewrites it
 * when it starts or stops an expert process. Every write replaces the file by renaming a complete
 * temporary file over it, so that the router never reads half a list.
 */
public final class EndpointsFile {

    public static final String NAME = "expert-endpoints";

    private EndpointsFile() {
    }

    public static Path in(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /** Writes {@code targets} to {@code stateDir}'s endpoints file, atomically; returns the file. */
    public static Path write(Path stateDir, List<String> targets) {
        StringBuilder text = new StringBuilder("# expert endpoints the router calls (moemesh.router.discovery=file),"
                + " one host:port per line;\n# written by moe up, rewritten by the placement controller as it starts"
                + " and stops expert processes\n");
        targets.forEach(t -> text.append(t).append('\n'));
        Path file = in(stateDir);
        writeAtomically(file, text.toString());
        return file;
    }

    /**
     * Writes {@code content} to a temporary file beside {@code file} and renames it over {@code file}:
     * a reader sees the old content or the new, never a part.
     */
    static void writeAtomically(Path file, String content) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(tmp, content);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING); // same directory: still one rename
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
