package io.moemesh.placement.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The endpoints file: one {@code host:port} per line, {@code #} starts a comment. It is written to
 * a temporary file in the same directory and renamed over the old one, so a router polling it
 * never reads half a list.
 */
public final class EndpointsFile implements EndpointList {

    private static final String HEADER = "# expert endpoints the routers discover (moe up, placement controller)\n";

    private final Path file;

    public EndpointsFile(Path file) {
        this.file = file;
    }

    @Override
    public List<String> targets() {
        try {
            List<String> targets = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int hash = line.indexOf('#');
                String target = (hash < 0 ? line : line.substring(0, hash)).strip();
                if (!target.isEmpty() && !targets.contains(target)) {
                    targets.add(target);
                }
            }
            return targets;
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the endpoints file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void replace(List<String> targets) {
        StringBuilder text = new StringBuilder(HEADER);
        targets.forEach(t -> text.append(t).append('\n'));
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the endpoints file " + file + ": " + e.getMessage(), e);
        }
    }
}
