package io.moemesh.cli;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ExpertPacking;
import io.moemesh.cli.local.ExpertProcesses;
import io.moemesh.cli.local.LocalCluster;
import io.moemesh.cli.local.Network;
import io.moemesh.cli.local.ServiceProcess;
import io.moemesh.cli.local.StartExpertScript;
import io.moemesh.cli.network.NetworkProfile;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.local.ExpertEndpointsFile;
import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.PlanFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code moe up}: the whole system as local processes — one per expert (or several experts per
 * process with {@code --experts-per-process}, which by default packs models of more than 16 experts
 * into at most 16 processes), a router and a gateway.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start gateway, router, one expert service per expert and the placement controller as processes on 127.0.0.1.")
final class UpCommand implements Callable<Integer> {

    static final String DEFAULT_CONTROLLER_HTTP_PORT = "50054";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory to serve.")
    Path model;

    @Option(names = "--gateway-port", defaultValue = "50051", description = "Public gRPC port (default: ${DEFAULT-VALUE}).")
    int gatewayPort;

    @Option(names = "--http-port", defaultValue = "8000", description = "The gateway's OpenAI-compatible HTTP API "
            + "(/v1/completions, /v1/chat/completions, /v1/models; docs/openai-api.md); -1 turns it off "
            + "(default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--router-port", defaultValue = "50052", description = "Router gRPC port, its public API "
            + "(default: ${DEFAULT-VALUE}).")
    int routerPort;

    @Option(names = "--router-internal-port", defaultValue = "50056", description = "Router internal gRPC port: "
            + "RoutingStats and ExpertEndpoints, for the placement controller (default: ${DEFAULT-VALUE}).")
    int routerInternalPort;

    @Option(names = "--router-http-port", defaultValue = "50055", description = "Router HTTP port: Prometheus metrics "
            + "at /actuator/prometheus, health at /actuator/health (default: ${DEFAULT-VALUE}).")
    int routerHttpPort;

    @Option(names = "--expert-port", defaultValue = "50060", description = "Port of expert 0; expert e listens on "
            + "this + e, or with --experts-per-process the k-th process on this + k; replica r on "
            + "this + r * processes (default: ${DEFAULT-VALUE}).")
    int firstExpertPort;

    @Option(names = "--replicas", defaultValue = "1", description = "Processes per expert service (default: ${DEFAULT-VALUE}).")
    int replicas;

    @Option(names = "--experts-per-process", paramLabel = "N|auto", defaultValue = "auto", description = "Experts "
            + "each expert process hosts, every layer of each (default: ${DEFAULT-VALUE}: one per process up to 16 "
            + "experts, the Kubernetes shape; for more, ceil(experts / 16) per process, so that at most 16 expert "
            + "processes run: 4 per process for 64 experts, 8 for 128). N > 1 starts ceil(experts / N) processes, "
            + "process k hosting experts k*N to k*N+N-1 (the last hosts the remainder when N does not divide the "
            + "expert count; N may not exceed it). A packed process runs min(N, cores) forward-pass threads. "
            + "Packed processes take no --plan and no placement controller, which place units per expert service.")
    String expertsPerProcess;

    @Option(names = "--timeout", defaultValue = "120s", description = "How long to wait for readiness (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--plan", description = "Placement plan: partner units per expert service, lines SERVICE=EXPERT:LAYER,... "
            + "(docs/placement.md; PlacementEvaluation --write-plan writes one).")
    Path plan;

    @Option(names = "--placement", defaultValue = "auto", description = "Placement controller: on (re-place partner "
            + "units on the running services when routing statistics show a gain), dry-run (plan and report only), off, "
            + "or auto: on with one expert per process, off when processes are packed (default: ${DEFAULT-VALUE}).")
    String placement;

    @Option(names = "--placement-interval", defaultValue = "30s",
            description = "How often the controller plans (default: ${DEFAULT-VALUE}).")
    String placementInterval;

    @Option(names = "--placement-min-tokens", defaultValue = "2000",
            description = "Tokens the router's statistics window must hold before the controller plans (default: ${DEFAULT-VALUE}).")
    long placementMinTokens;

    @Option(names = "--placement-min-gain", defaultValue = "0.05",
            description = "Relative cut of expected remote calls a new plan must bring (default: ${DEFAULT-VALUE}).")
    double placementMinGain;

    @Option(names = "--placement-memory-budget", defaultValue = "1.25",
            description = "Expert memory a plan may use, relative to one copy of every unit (default: ${DEFAULT-VALUE}).")
    double placementMemoryBudget;

    @Option(names = "--placement-balance-bound", defaultValue = "1.25",
            description = "Max/mean service load a plan may reach, unless one service per expert is already worse (default: ${DEFAULT-VALUE}).")
    double placementBalanceBound;

    @Option(names = "--controller-port", defaultValue = "50053",
            description = "Placement controller gRPC port (default: ${DEFAULT-VALUE}); JSON status over HTTP on --controller-http-port.")
    int controllerPort;

    @Option(names = "--controller-http-port", defaultValue = DEFAULT_CONTROLLER_HTTP_PORT,
            description = "Placement controller HTTP port, GET /placement and the dashboard at /dashboard "
                    + "(default: ${DEFAULT-VALUE}).")
    int controllerHttpPort;

    @Option(names = "--max-expert-processes", defaultValue = "0", paramLabel = "N", description = "Expert "
            + "processes the placement controller may run in all, moe up's included, to replicate hot experts (it "
            + "starts and stops them with <state-dir>/start-expert, make-before-break); 0 = it starts no replica "
            + "(default: ${DEFAULT-VALUE}). Needs the controller and one expert per process.")
    int maxExpertProcesses;

    @Option(names = "--pruning", description = "Let the placement controller scale experts whose routing share "
            + "stays below --pruning-threshold to zero, their tokens routed to the next-best expert, and restore "
            + "them when traffic changes (docs/utilisation.md). Needs the controller and one expert per process.")
    boolean pruning;

    @Option(names = "--pruning-threshold", defaultValue = "0.25", description = "An expert is cold when its "
            + "routing share over the window is below this fraction of the uniform share 1/experts (default: ${DEFAULT-VALUE}).")
    double pruningThreshold;

    @Option(names = "--pruning-budget", defaultValue = "0.02", description = "Quality budget: the largest share of "
            + "routed token-slots the pruned experts may send elsewhere; plans beyond it are refused "
            + "(default: ${DEFAULT-VALUE}).")
    double pruningBudget;

    @Option(names = "--emulate-network", paramLabel = "SPEC", description = "Put an emulated network between the "
            + "router and the expert endpoints (a user-space TCP proxy per endpoint; docs/placement.md, \"Emulated "
            + "network\"): a preset, none (the proxies alone), rack (rtt 100us, jitter 10us, 25 Gbit/s), zone "
            + "(500us, 50us, 10 Gbit/s) or cross-zone (2ms, 200us, 1 Gbit/s), or key=value pairs: rtt, jitter "
            + "(mean of an exponential extra one-way delay), bandwidth (per link and direction; 0 = unlimited), "
            + "node (endpoints sharing one node's link), scale (bytes count this many times on the links: a what-if "
            + "for wider activations), e.g. rtt=200us,jitter=20us,bandwidth=10gbit,node=2. "
            + "Switch it while the cluster runs with `moe network SPEC`.")
    String emulateNetwork;

    @Option(names = "--network-port", defaultValue = "50160", description = "With --emulate-network: the proxy of "
            + "the i-th expert endpoint listens on this + i (default: ${DEFAULT-VALUE}).")
    int networkPort;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "Where the cluster's state and logs go (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        ExpertPacking packing = packing();
        if (!packing.isAuto()) {
            checkPacking(packing.fixed()); // a refusal that needs no model comes before reading it
        }
        int perProcess = perProcess(packing, ModelConfig.load(model).numExperts());
        checkPacking(perProcess);
        LocalCluster.Layout layout = layout(perProcess);
        LocalCluster.Controller controller = controller(perProcess);
        if (perProcess > 1) {
            out.printf("%d experts per process (--experts-per-process %s); no placement controller: it places units "
                    + "per expert service (--experts-per-process 1 runs one)%n", perProcess, packing);
        }
        LocalCluster cluster = new LocalCluster(MoeCommand.home(), stateDir);
        Network network = emulateNetwork == null ? null
                : new Network(networkPort, NetworkProfile.parse(emulateNetwork));
        ClusterState state = cluster.up(model, layout, plan == null ? Map.of() : PlanFile.read(plan), controller,
                network);
        out.printf("moe-mesh is up in %.1f s, serving %s%n", (System.nanoTime() - start) / 1e9, state.model());
        for (ServiceProcess p : state.processes()) {
            out.printf("  %-10s %-8s %s  pid %d%n", p.name(), p.role(), p.target(), p.pid());
        }
        out.printf("gateway: %s   (stop with: moe down)%n", state.gateway());
        if (state.openAiUrl() != null) {
            out.printf("OpenAI-compatible API: %s   (same API key: Authorization: Bearer $(cat %s))%n",
                    state.openAiUrl(), state.apiKeyFile());
        }
        out.printf("router internal services: %s%n", state.routerInternal());
        out.println(expertProcessesLine(controller, perProcess));
        out.printf("every service listens on %s only; the internal services (router, experts, placement controller)"
                + " run with moemesh.auth.allow-unauthenticated=true: no internal token or mTLS in local mode%n",
                LocalCluster.BIND_ADDRESS);
        out.printf("API key: %s   (readable by you only; moe generate reads it; other clients: "
                + "MOEMESH_API_KEY=$(cat %s))%n", state.apiKeyFile(), state.apiKeyFile());
        out.printf("router metrics: GET %s%n", state.routerMetricsUrl());
        if (network != null) {
            out.printf("emulated network between router and experts: %s   (switch: moe network SPEC)%n",
                    network.profile().spell());
        }
        if (state.placementUrl() != null) {
            out.printf("placement: moe plan   (or GET %s)%n", state.placementUrl());
        }
        out.println(dashboardLine(state));
        return 0;
    }

    /** Who starts and stops expert processes from now on, and where that is recorded. */
    String expertProcessesLine(LocalCluster.Controller controller, int perProcess) {
        String files = "the router follows " + ExpertEndpointsFile.in(stateDir);
        if (perProcess > 1) {
            return "expert processes: fixed (packed, no " + StartExpertScript.NAME + " script); " + files;
        }
        String recorded = "recorded in " + ExpertPidFile.directory(stateDir) + "/*.pid; " + files;
        if (controller == null || !controller.processes().managesProcesses()) {
            return "expert processes: started by moe up only (--max-expert-processes 0, no --pruning); " + recorded;
        }
        ExpertProcesses p = controller.processes();
        return "expert processes: managed by the placement controller (" + (controller.dryRun() ? "dry-run: it only"
                + " plans; " : "") + (p.maxExpertProcesses() > 0 ? "replicas: up to " + p.maxExpertProcesses()
                + " processes in all" : "replicas: off") + (p.pruning() ? "; pruning: experts below "
                + p.pruningThreshold() + " of the uniform share, quality budget " + p.pruningBudget()
                + " of routed token-slots" : "; pruning: off") + "), started with " + StartExpertScript.in(stateDir)
                + "; " + recorded;
    }

    /** Where the live dashboard is, or why there is none: the placement controller serves it. */
    static String dashboardLine(ClusterState state) {
        if (state.dashboardUrl() != null) {
            return "dashboard: " + state.dashboardUrl() + "   (expert load per layer, co-activation, services, "
                    + "endpoints, tokens/s; live in the browser)";
        }
        return "dashboard: none: the placement controller serves it and --placement off does not start one "
                + "(--placement dry-run runs it to watch, without re-placing)";
    }

    ExpertPacking packing() {
        try {
            return ExpertPacking.parse(expertsPerProcess);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--experts-per-process: " + e.getMessage());
        }
    }

    private int perProcess(ExpertPacking packing, int numExperts) {
        try {
            return packing.perProcess(numExperts);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--experts-per-process: " + e.getMessage());
        }
    }

    LocalCluster.Layout layout(int perProcess) {
        return new LocalCluster.Layout(gatewayPort,
                new LocalCluster.RouterPorts(routerPort, routerInternalPort, routerHttpPort), firstExpertPort, replicas,
                duration(timeout), perProcess, httpPort < 0 ? LocalCluster.Layout.NO_HTTP : httpPort);
    }

    /**
     * --plan and the placement controller place units per expert service, which packed processes are
     * not: the controller skips an endpoint that hosts several base experts and would plan the others
     * as if every expert had a service of its own, so it is refused rather than left to plan a placement
     * it cannot apply.
     */
    private void checkPacking(int perProcess) {
        if (perProcess == 1) {
            return;
        }
        if (plan != null) {
            throw new ParameterException(spec.commandLine(), "--plan gives partner units to "
                    + "expert services, one per expert: it cannot be combined with " + perProcess
                    + " experts per process (--experts-per-process " + expertsPerProcess + "); add "
                    + "--experts-per-process 1");
        }
        if (placement.equalsIgnoreCase("on") || placement.equalsIgnoreCase("dry-run")) {
            throw new ParameterException(spec.commandLine(), "the placement controller "
                    + "re-places partner units on services that host one expert each; with " + perProcess
                    + " experts per process (--experts-per-process " + expertsPerProcess + ") it has nothing to "
                    + "place: add --placement off, or --experts-per-process 1");
        }
    }

    private LocalCluster.Controller controller(int perProcess) {
        String mode = placement.toLowerCase(Locale.ROOT);
        if (mode.equals("auto")) {
            mode = perProcess == 1 ? "on" : "off";
        }
        ExpertProcesses processes = expertProcesses();
        LocalCluster.Controller controller = switch (mode) {
            case "off" -> null;
            case "on", "dry-run" -> new LocalCluster.Controller(controllerPort, controllerHttpPort,
                    duration(placementInterval), placementMinTokens, placementMinGain, placementMemoryBudget,
                    placementBalanceBound,
                    placement.equalsIgnoreCase("dry-run"), processes);
            default -> throw new ParameterException(spec.commandLine(),
                    "--placement must be auto, on, dry-run or off, got '" + placement + "'");
        };
        if (processes.managesProcesses() && controller == null) {
            throw new ParameterException(spec.commandLine(), "--max-expert-processes and --pruning are the placement"
                    + " controller's, which does not run with --placement " + placement
                    + (perProcess > 1 ? " and " + perProcess + " experts per process" : "") + ": use --placement on"
                    + " (or dry-run) with one expert per process (--experts-per-process 1)");
        }
        if (processes.managesProcesses() && emulateNetwork != null) {
            throw new ParameterException(spec.commandLine(), "--max-expert-processes and --pruning start expert"
                    + " processes that the emulated network's proxies do not front (they are set up once, by moe up):"
                    + " drop --emulate-network, or those options");
        }
        return controller;
    }

    private ExpertProcesses expertProcesses() {
        try {
            return new ExpertProcesses(maxExpertProcesses, pruning, pruningThreshold, pruningBudget);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--max-expert-processes, --pruning-threshold,"
                    + " --pruning-budget: " + e.getMessage());
        }
    }

    private static Duration duration(String text) {
        return Duration.parse("PT" + text.toUpperCase(Locale.ROOT));
    }
}
