package io.moemesh.cli;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.LocalCluster;
import io.moemesh.cli.local.ServiceProcess;
import io.moemesh.core.placement.PlanFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe up}: the whole system as local processes — one per expert, a router and a gateway. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start gateway, router and one expert service per expert as processes on 127.0.0.1.")
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory to serve.")
    Path model;

    @Option(names = "--gateway-port", defaultValue = "50051", description = "Public gRPC port (default: ${DEFAULT-VALUE}).")
    int gatewayPort;

    @Option(names = "--router-port", defaultValue = "50052", description = "Router gRPC port (default: ${DEFAULT-VALUE}).")
    int routerPort;

    @Option(names = "--expert-port", defaultValue = "50060",
            description = "Port of expert 0; expert e listens on this + e (default: ${DEFAULT-VALUE}).")
    int firstExpertPort;

    @Option(names = "--replicas", defaultValue = "1", description = "Processes per expert service (default: ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--timeout", defaultValue = "120s", description = "How long to wait for readiness (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--plan", description = "Placement plan: partner units per expert service, lines SERVICE=EXPERT:LAYER,... "
            + "(docs/placement.md; PlacementEvaluation --write-plan writes one).")
    Path plan;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "Where the cluster's state and logs go (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        LocalCluster cluster = new LocalCluster(MoeCommand.home(), stateDir);
        ClusterState state = cluster.up(model, new LocalCluster.Layout(gatewayPort, routerPort, firstExpertPort, replicas,
                Duration.parse("PT" + timeout.toUpperCase(java.util.Locale.ROOT))),
                plan == null ? Map.of() : PlanFile.read(plan));
        out.printf("moe-mesh is up in %.1f s, serving %s%n", (System.nanoTime() - start) / 1e9, state.model());
        for (ServiceProcess p : state.processes()) {
            out.printf("  %-10s %-8s %s  pid %d%n", p.name(), p.role(), p.target(), p.pid());
        }
        out.printf("gateway: %s   (stop with: moe down)%n", state.gateway());
        return 0;
    }
}
