package io.moemesh.cli.local;

import io.moemesh.core.local.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code <state-dir>/start-expert}: a POSIX sh script, run as
 * {@code start-expert <expert-index> <grpc-port> <http-port>}, that {@code exec}s the expert-service
 * process {@code moe up} would start for that expert — the same java, JVM options, jar, model and
 * local-mode settings (loopback, no internal authentication) — with its output on stdout for the
 * caller to redirect. The placement controller starts replicas and restores pruned experts with it,
 * so that it needs to know nothing of jars, JVM flags or models. It hosts the expert only: the
 * controller gives a replica its partner units itself, as it re-places them.
 *
 * <p>The command is {@code moe up}'s own expert command (built by the same code) with the values of
 * the expert index and gRPC port replaced by {@code $1} and {@code $2}; {@code $3} is passed as
 * {@code --server.port}, which an expert process that serves no HTTP (local mode's) ignores.
 */
public final class StartExpertScript {

    public static final String NAME = "start-expert";
    static final String EXPERTS_OPTION = ServiceArguments.option(ServiceArguments.EXPERT_EXPERTS);
    static final String PORT_OPTION = ServiceArguments.option(ServiceArguments.EXPERT_GRPC_PORT);

    private StartExpertScript() {
    }

    public static Path in(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /**
     * The script for {@code command}, an expert process's full command line for one expert, run from
     * {@code workDir} (relative paths in it stay valid whoever runs the script).
     */
    static String content(Path workDir, List<String> command) {
        if (command.stream().noneMatch(w -> w.startsWith(EXPERTS_OPTION))
                || command.stream().noneMatch(w -> w.startsWith(PORT_OPTION))) {
            throw new IllegalArgumentException("an expert command needs " + EXPERTS_OPTION + " and " + PORT_OPTION
                    + ", got " + command);
        }
        String words = command.stream().map(StartExpertScript::word).collect(Collectors.joining(" \\\n    "));
        return """
                #!/bin/sh
                # Written by `moe up`: starts one expert-service process of this local cluster, as moe up does.
                # usage: start-expert <expert-index> <grpc-port> <http-port>   (logs to stdout: redirect it)
                if [ "$#" -ne 3 ]; then
                    echo "usage: $0 <expert-index> <grpc-port> <http-port>" >&2
                    exit 64
                fi
                for n in "$1" "$2" "$3"; do
                    case "$n" in
                        ''|*[!0-9]*) echo "$0: '$n' is not a number (usage: $0 <expert-index> <grpc-port> <http-port>)" >&2
                                     exit 64 ;;
                    esac
                done
                cd %s || exit 66
                exec %s \\
                    "--server.port=$3"
                """.formatted(quote(workDir.toAbsolutePath().normalize().toString()), words);
    }

    /** Writes the script, executable by its owner; returns its path. */
    static Path write(Path stateDir, Path workDir, List<String> command) {
        Path file = in(stateDir);
        AtomicFile.write(file, content(workDir, command));
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x---"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot make " + file + " executable: " + e.getMessage(), e);
        }
        return file;
    }

    private static String word(String w) {
        if (w.startsWith(EXPERTS_OPTION)) {
            return "\"" + EXPERTS_OPTION + "$1\"";
        }
        if (w.startsWith(PORT_OPTION)) {
            return "\"" + PORT_OPTION + "$2\"";
        }
        return quote(w);
    }

    /** {@code w} in single quotes, a quote inside it closed, escaped and reopened: sh expands nothing in it. */
    static String quote(String w) {
        return "'" + w.replace("'", "'\\''") + "'";
    }
}
