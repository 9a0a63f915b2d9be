package io.moemesh.cli;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ProcessStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe status}: each process of the local cluster, alive or not, and its gRPC health: those
 * {@code moe up} started and the expert replicas the placement controller started
 * ({@code <state-dir>/replicas/*.pid}). {@code moe up} supervises nothing after it returns: a service
 * that exited stays down until {@code moe down && moe up}; an expert process the controller stopped on
 * purpose is listed as such, not as a fault.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show whether each process of the local cluster runs and answers SERVING; exit 3 if one does not.")
final class StatusCommand implements Callable<Integer> {

    static final int UNHEALTHY = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "State directory of `moe up` (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ClusterState state = ClusterState.read(stateDir);
        List<ProcessStatus> statuses = ProcessStatus.of(state, stateDir);
        for (ProcessStatus s : statuses) {
            out.printf("  %-10s %-10s %-16s pid %-8d %s%n", s.process().name(), s.process().role(), s.process().target(),
                    s.process().pid(), describe(s));
        }
        long unhealthy = statuses.stream().filter(s -> !s.healthy()).count();
        long retired = statuses.stream().filter(ProcessStatus::retired).count();
        if (unhealthy == 0) {
            out.printf("all %d processes run and answer SERVING%s%n", statuses.size() - retired, retired == 0 ? ""
                    : " (" + retired + " expert process" + (retired == 1 ? "" : "es") + " stopped by the placement"
                    + " controller)");
            return 0;
        }
        out.printf("%d of %d processes are not serving; see their logs. `moe up` restarts nothing: "
                + "`moe down && moe up` starts the cluster again%n", unhealthy, statuses.size());
        return UNHEALTHY;
    }

    private static String describe(ProcessStatus s) {
        if (s.retired()) {
            return "STOPPED by the placement controller (replica removed or expert pruned)";
        }
        return s.alive() ? s.health() : "EXITED (log: " + s.process().log() + ")";
    }
}
