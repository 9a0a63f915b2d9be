package io.moemesh.cli.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code <state-dir>/replicas/<name>.pid}: one expert process of a local cluster, for whoever starts
 * or stops expert processes — {@code moe up} writes one for each it starts (one expert per process),
 * the placement controller writes one for each replica it starts and deletes the file when it stops
 * a process (its own or {@code moe up}'s), and {@code moe down} stops every process listed. Line 1 is
 * the pid, line 2 the {@code host:port} it serves, line 3 the expert it hosts (of every layer).
 *
 * @param name   the process's name, the file name without {@code .pid} ({@code expert-3}, {@code expert-3-r1})
 * @param pid    its operating-system process id
 * @param target where it serves gRPC, {@code host:port}
 * @param expert the expert index it hosts
 */
public record ReplicaPidFile(String name, long pid, String target, int expert) {

    public static final String DIRECTORY = "replicas";
    private static final String SUFFIX = ".pid";
    /** A process that started this long after its pid file was written is another one that reuses the pid. */
    private static final Duration START_SLACK = Duration.ofSeconds(5);

    public ReplicaPidFile {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a replica name must be letters, digits, '.', '_' or '-', got '"
                    + name + "'");
        }
    }

    public static Path directory(Path stateDir) {
        return stateDir.resolve(DIRECTORY);
    }

    public Path file(Path stateDir) {
        return directory(stateDir).resolve(name + SUFFIX);
    }

    /** Writes the file (atomically, as the controller reads the directory while it plans). */
    public void write(Path stateDir) {
        EndpointsFile.writeAtomically(file(stateDir), pid + "\n" + target + "\n" + expert + "\n");
    }

    public void delete(Path stateDir) {
        try {
            Files.deleteIfExists(file(stateDir));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(stateDir) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Name and pid: what says that a process {@code moe up} recorded is the one this file names (the
     * controller may restore a stopped expert under the same name, as another process).
     */
    String key() {
        return name + "#" + pid;
    }

    static String key(ServiceProcess p) {
        return p.name() + "#" + p.pid();
    }

    /** The process as {@code moe status} and {@code moe down} see it; its log is {@code logs/<name>.log}. */
    public ServiceProcess process(Path stateDir) {
        int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
        return new ServiceProcess(name, "expert", port, pid, stateDir.resolve("logs").resolve(name + ".log").toString());
    }

    /**
     * The pid files in {@code stateDir}, by name; a file that does not read as three lines of pid,
     * {@code host:port} and expert (one being written, or not ours) is left out.
     */
    public static List<ReplicaPidFile> readAll(Path stateDir) {
        Path dir = directory(stateDir);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<ReplicaPidFile> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : entries) {
                read(f).ifPresent(files::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        files.sort(java.util.Comparator.comparing(ReplicaPidFile::name));
        return List.copyOf(files);
    }

    static Optional<ReplicaPidFile> read(Path file) {
        String fileName = file.getFileName().toString();
        try {
            List<String> lines = Files.readAllLines(file);
            if (lines.size() < 3 || !lines.get(1).strip().matches("[^:\\s]+:\\d{1,5}")) {
                return Optional.empty();
            }
            return Optional.of(new ReplicaPidFile(fileName.substring(0, fileName.length() - SUFFIX.length()),
                    Long.parseLong(lines.get(0).strip()), lines.get(1).strip(), Integer.parseInt(lines.get(2).strip())));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The running process this file names: alive, and not started well after the file was written
     * (a pid the system handed to another process after ours exited).
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
