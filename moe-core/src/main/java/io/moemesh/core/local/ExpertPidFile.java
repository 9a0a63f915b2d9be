package io.moemesh.core.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code <state-dir>/replicas/<name>.pid}: one expert process of a local cluster. Line 1 is its pid,
 * line 2 the {@code host:port} it serves, line 3 the expert it hosts (of every layer). {@code moe up}
 * writes one for each expert process it starts (one expert per process), the placement controller
 * one for each it starts, and deletes the file when it stops a process (its own or {@code moe up}'s);
 * {@code moe down} stops every process listed. The directory is the level-based truth of which
 * expert processes exist, so a controller restarted between two steps finds what the previous one
 * started.
 *
 * <p>Pid reuse: a pid file outlives its process when the process is killed, and the system may hand
 * the pid to another process later. {@link #liveProcess} therefore counts a pid as this file's process
 * only while it runs and did not start more than {@link #START_SLACK} after the file was written (the
 * file is written once the process serves, so its own start is always earlier).
 *
 * @param name   the file name without {@code .pid} ({@code expert-3}, {@code expert-3-p50071}); the
 *               process's log is {@code <state-dir>/logs/<name>.log}
 * @param pid    its operating-system process id
 * @param target where it serves gRPC, {@code host:port} as listed in the {@link ExpertEndpointsFile}
 * @param expert the expert index it hosts
 */
public record ExpertPidFile(String name, long pid, String target, int expert) {

    public static final String DIRECTORY = "replicas";
    private static final String SUFFIX = ".pid";
    /** A process that started this long after its pid file was written is another one that reuses the pid. */
    static final Duration START_SLACK = Duration.ofSeconds(5);

    public ExpertPidFile {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a replica name must be letters, digits, '.', '_' or '-', got '"
                    + name + "'");
        }
        if (target == null || !ExpertEndpointsFile.isTarget(target) || expert < 0) {
            throw new IllegalArgumentException("expert process " + name + " needs a host:port and an expert index"
                    + " >= 0, got '" + target + "' and " + expert);
        }
    }

    public static Path directory(Path stateDir) {
        return stateDir.resolve(DIRECTORY);
    }

    public Path file(Path stateDir) {
        return directory(stateDir).resolve(name + SUFFIX);
    }

    /** Writes the file atomically ({@link AtomicFile}): the controller reads the directory while it plans. */
    public void write(Path stateDir) {
        AtomicFile.write(file(stateDir), pid + "\n" + target + "\n" + expert + "\n");
    }

    public void delete(Path stateDir) {
        try {
            Files.deleteIfExists(file(stateDir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(stateDir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The pid files in {@code stateDir}, by name; a file that does not read as three lines of pid,
     * {@code host:port} and expert (one being written, or not an expert's) is left out.
     */
    public static List<ExpertPidFile> readAll(Path stateDir) {
        Path dir = directory(stateDir);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<ExpertPidFile> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : entries) {
                read(f).ifPresent(files::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        files.sort(Comparator.comparing(ExpertPidFile::name));
        return List.copyOf(files);
    }

    /** The pid file {@code file}; empty when it does not read as pid, {@code host:port} and expert. */
    public static Optional<ExpertPidFile> read(Path file) {
        String fileName = file.getFileName().toString();
        if (!fileName.endsWith(SUFFIX)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 3) {
                return Optional.empty();
            }
            String name = fileName.substring(0, fileName.length() - SUFFIX.length());
            return Optional.of(new ExpertPidFile(name, Long.parseLong(lines.get(0).strip()), lines.get(1).strip(),
                    Integer.parseInt(lines.get(2).strip())));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The running process this file names: alive, and not started more than {@link #START_SLACK}
     * after the file was written (else the system handed the pid to another process after ours
     * exited). A file deleted meanwhile still names its pid.
     */
    public Optional<ProcessHandle> liveProcess(Path stateDir) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (handle.isEmpty()) {
            return handle;
        }
        Optional<Instant> started = handle.get().info().startInstant();
        try {
            Instant written = Files.getLastModifiedTime(file(stateDir)).toInstant();
            if (started.isPresent() && started.get().isAfter(written.plus(START_SLACK))) {
                return Optional.empty();
            }
        } catch (IOException e) {
            // the file went away meanwhile: the pid is still the one it named
        }
        return handle;
    }
}
