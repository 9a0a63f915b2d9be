package io.moemesh.placement.local;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.controller.local.*}: the expert processes of a {@code moe up} mesh, which the
 * controller starts and stops to prune experts and replicate hot ones. Off while
 * {@code expert-command} is blank.
 *
 * @param expertCommand      executable run as {@code <command> <expert-index> <grpc-port> <http-port>} that
 *                           execs an expert-service process ({@code moe up} writes {@code <state>/start-expert})
 * @param endpointsFile      the routers' discovery file ({@code moemesh.router.experts-file}); blank =
 *                           {@code <state-dir>/expert-endpoints}
 * @param stateDir           {@code moe up}'s state directory: {@code replicas/<name>.pid} and {@code logs/}
 * @param maxExpertProcesses expert processes in all that replicas may bring the mesh to; 0 = start no replicas
 * @param startTimeout       how long a new process may take to report SERVING
 * @param stopGrace          how long a stopped process may take to exit after SIGTERM before SIGKILL
 * @param listTimeout        how long to wait for every router to list a new endpoint, or drop a removed one
 */
public record LocalProperties(
        @DefaultValue("") String expertCommand,
        @DefaultValue("") String endpointsFile,
        @DefaultValue("") String stateDir,
        @DefaultValue("0") int maxExpertProcesses,
        @DefaultValue("90s") Duration startTimeout,
        @DefaultValue("10s") Duration stopGrace,
        @DefaultValue("60s") Duration listTimeout) {

    public LocalProperties {
        expertCommand = expertCommand == null ? "" : expertCommand.strip();
        stateDir = stateDir == null ? "" : stateDir.strip();
        endpointsFile = endpointsFile == null || endpointsFile.isBlank()
                ? (stateDir.isEmpty() ? "" : Path.of(stateDir, "expert-endpoints").toString())
                : endpointsFile.strip();
        if (!expertCommand.isEmpty() && stateDir.isEmpty()) {
            throw new IllegalArgumentException("moemesh.controller.local.state-dir is required with"
                    + " moemesh.controller.local.expert-command: the directory of replicas/*.pid and logs/,"
                    + " e.g. --moemesh.controller.local.state-dir=.moe");
        }
        if (maxExpertProcesses < 0) {
            throw new IllegalArgumentException("moemesh.controller.local.max-expert-processes must be >= 0"
                    + " (0 = start no replicas), got " + maxExpertProcesses);
        }
        if (!startTimeout.isPositive() || stopGrace.isNegative() || !listTimeout.isPositive()) {
            throw new IllegalArgumentException("moemesh.controller.local.start-timeout and list-timeout must be > 0"
                    + " and stop-grace >= 0, got " + startTimeout + ", " + listTimeout + ", " + stopGrace);
        }
    }

    /** Off (the default) when no expert command is configured. */
    public static LocalProperties off() {
        return new LocalProperties("", "", "", 0, Duration.ofSeconds(90), Duration.ofSeconds(10),
                Duration.ofSeconds(60));
    }

    public boolean enabled() {
        return !expertCommand.isEmpty();
    }
}
