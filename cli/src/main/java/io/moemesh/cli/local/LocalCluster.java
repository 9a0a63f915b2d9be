package io.moemesh.cli.local;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.local.ExpertEndpointsFile;
import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.Unit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Starts and stops the services of one model as separate processes on 127.0.0.1: one expert
 * service per expert (each hosting that expert of every layer), a router, a gateway and, when
 * asked, the placement controller: the topology of a Kubernetes deployment, with loopback for the
 * network. For measurements on few cores, {@link Layout#expertsPerProcess} packs several experts
 * into one process instead. Every process binds 127.0.0.1 only (gRPC and HTTP), and the internal
 * services run without internal authentication ({@code moemesh.auth.allow-unauthenticated}):
 * nothing off this machine can reach them. This class decides what runs and in which order;
 * {@link ServiceArguments} says with which settings, {@link ServiceLauncher} turns each into a process.
 */
public final class LocalCluster {

    /** Where every local process listens: loopback only. */
    public static final String BIND_ADDRESS = "127.0.0.1";

    /**
     * Ports and sizes of a local cluster: the experts go {@code expertsPerProcess} to a process
     * ({@link ExpertGroup#split}: P = ceil(numExperts / expertsPerProcess) processes, one per expert
     * by default), and replica r of process k listens on {@code firstExpertPort + r * P + k} — with
     * one expert per process, replica r of expert e on {@code firstExpertPort + r * numExperts + e}.
     * The router serves its public API on {@code routerPort}, its internal services (RoutingStats,
     * ExpertEndpoints) on {@code routerInternalPort}, its metrics and health over HTTP on
     * {@code routerHttpPort}, or not at all with {@link #NO_HTTP}.
     */
    public record Layout(int gatewayPort, RouterPorts router, int firstExpertPort, int replicas,
            Duration readyTimeout, int expertsPerProcess, int gatewayHttpPort) {

        /** A {@code routerHttpPort} that turns the router's HTTP server off (gRPC only). */
        public static final int NO_HTTP = -1;

        public Layout {
            if (replicas < 1) {
                throw new IllegalArgumentException("replicas must be >= 1, got " + replicas);
            }
            if (expertsPerProcess < 1) {
                throw new IllegalArgumentException("experts per process must be >= 1, got " + expertsPerProcess);
            }
        }

        /** No OpenAI-compatible HTTP API on the gateway. */
        public Layout(int gatewayPort, RouterPorts router, int firstExpertPort, int replicas, Duration readyTimeout,
                int expertsPerProcess) {
            this(gatewayPort, router, firstExpertPort, replicas, readyTimeout, expertsPerProcess, NO_HTTP);
        }

        /** One expert service per expert: the default, and the shape of a Kubernetes deployment. */
        public Layout(int gatewayPort, RouterPorts router, int firstExpertPort, int replicas, Duration readyTimeout) {
            this(gatewayPort, router, firstExpertPort, replicas, readyTimeout, 1);
        }

        /** The base URL of the gateway's OpenAI-compatible API, or null when it serves none. */
        String openAiUrl() {
            return gatewayHttpPort == NO_HTTP ? null : "http://" + BIND_ADDRESS + ":" + gatewayHttpPort + "/v1";
        }

        public int routerPort() {
            return router.grpc();
        }

        public int routerInternalPort() {
            return router.internal();
        }

        public int routerHttpPort() {
            return router.http();
        }

        /** The router's Prometheus endpoint, or null when it serves no HTTP. */
        String routerMetricsUrl() {
            return routerHttpPort() == NO_HTTP ? null
                    : "http://127.0.0.1:" + routerHttpPort() + "/actuator/prometheus";
        }

        /** The expert processes of one replica, in port order. */
        List<ExpertGroup> expertGroups(int numExperts) {
            return ExpertGroup.split(numExperts, expertsPerProcess);
        }

        /** Port of replica {@code replica} of the {@code process}-th expert process ({@link #expertGroups}). */
        int expertPort(int process, int replica, int numExperts) {
            return firstExpertPort + replica * ExpertGroup.processes(numExperts, expertsPerProcess) + process;
        }
    }

    /**
     * A router's ports: the public API (Generate, ListModels), the internal services (RoutingStats,
     * ExpertEndpoints) and HTTP (metrics, health; {@link Layout#NO_HTTP} = off).
     */
    public record RouterPorts(int grpc, int internal, int http) {

        /** A router without HTTP. */
        public static RouterPorts grpcOnly(int grpc, int internal) {
            return new RouterPorts(grpc, internal, Layout.NO_HTTP);
        }
    }

    /**
     * The placement controller {@code moe up} starts beside the router: its gRPC and HTTP ports, how
     * often it plans, the statistics it needs first, its hysteresis, the expert memory a plan may use
     * (relative to one copy of every unit), the max/mean load it may reach, whether it only reports,
     * and what it may do with expert processes ({@link ExpertProcesses}).
     */
    public record Controller(int grpcPort, int httpPort, Duration interval, long minWindowTokens, double minGain,
            double memoryBudget, double balanceBound, boolean dryRun, ExpertProcesses processes) {

        /** A controller that starts no expert process and prunes nothing. */
        public Controller(int grpcPort, int httpPort, Duration interval, long minWindowTokens, double minGain,
                double memoryBudget, double balanceBound, boolean dryRun) {
            this(grpcPort, httpPort, interval, minWindowTokens, minGain, memoryBudget, balanceBound, dryRun,
                    ExpertProcesses.NONE);
        }

        List<String> arguments(String router) {
            return ServiceArguments.controller(this, router);
        }
    }

    /** What {@link #down} stopped: the recorded cluster, and how many processes ran in all. */
    public record Down(ClusterState state, int stopped) {
    }

    private final Path stateDir;
    private final ServiceLauncher launcher;

    public LocalCluster(Path home, Path stateDir) {
        this.stateDir = stateDir;
        this.launcher = new ServiceLauncher(home, stateDir);
    }

    /** Starts every process, waits until all are SERVING, records them; stops them all if any fails. */
    public ClusterState up(Path model, Layout layout) {
        return up(model, layout, Map.of());
    }

    /**
     * {@link #up(Path, Layout)} with a placement plan's partner units: {@code partners.get(e)} are
     * the units the service of expert e hosts besides its own expert of every layer (every replica).
     */
    public ClusterState up(Path model, Layout layout, Map<Integer, ? extends Collection<Unit>> partners) {
        return up(model, layout, partners, null);
    }

    /**
     * {@link #up(Path, Layout, Map)} with a placement controller reading the router's statistics and
     * re-placing partner units on the running expert services ({@code controller} null: none).
     */
    public ClusterState up(Path model, Layout layout, Map<Integer, ? extends Collection<Unit>> partners,
            Controller controller) {
        return up(model, layout, partners, controller, null);
    }

    /** {@link #up(Path, Layout, Map, Controller)} with the router's expert calls crossing {@code network} (null: loopback). */
    public ClusterState up(Path model, Layout layout, Map<Integer, ? extends Collection<Unit>> partners,
            Controller controller, Network network) {
        if (Files.isRegularFile(stateDir.resolve(ClusterState.FILE))) {
            throw new IllegalStateException("a local cluster is already up (" + stateDir.resolve(ClusterState.FILE)
                    + "); stop it with `moe down`");
        }
        ModelConfig config = ModelConfig.load(model);
        List<ExpertGroup> groups = ExpertGroup.forCluster(config.numExperts(), layout.expertsPerProcess(),
                partners.keySet(), controller != null);
        boolean onePerProcess = layout.expertsPerProcess() == 1;
        ClusterStop.removeStalePidFiles(stateDir);
        if (!onePerProcess) {
            ClusterStop.forgetPidDirectory(stateDir); // packed experts have no pid files: see forgetPidDirectory
        }
        String modelDir = model.toAbsolutePath().normalize().toString();
        List<ServiceProcess> started = new ArrayList<>(); // in stop order, reversed: gateway, router, experts
        ServiceProcess gateway = null;
        try {
            Path apiKeyFile = ApiKeyFile.create(stateDir);
            // the gateway needs nothing at start but the router's address, so it starts with the experts;
            // the router asks every expert what it hosts when it starts, so it starts once they serve
            gateway = launchGateway(layout.gatewayPort(), layout.gatewayHttpPort(),
                    List.of("127.0.0.1:" + layout.routerPort()), apiKeyFile);
            List<String> experts = new ArrayList<>();
            for (int r = 0; r < layout.replicas(); r++) {
                for (int k = 0; k < groups.size(); k++) {
                    ExpertGroup g = groups.get(k);
                    ServiceProcess p = launchExperts(model, g, r, layout.expertPort(k, r, config.numExperts()),
                            partners.containsKey(g.first()) ? partners.get(g.first()) : List.of());
                    started.add(p);
                    experts.add(p.target());
                    if (onePerProcess) {
                        new ExpertPidFile(p.name(), p.pid(), p.target(), g.first()).write(stateDir);
                    }
                }
            }
            HealthProbe.awaitServing(started, layout.readyTimeout());
            if (network != null) {
                ServiceProcess proxy = network.launch(launcher, experts);
                started.add(proxy);
                experts = network.proxiedTargets(experts.size());
                Network.awaitServing(experts, layout.readyTimeout());
            }
            Path expertsFile = ExpertEndpointsFile.in(stateDir);
            ExpertEndpointsFile.write(expertsFile, experts);
            Path startExpert = onePerProcess ? StartExpertScript.write(stateDir, Path.of(""), expertCommand(model))
                    : null;
            ServiceProcess router = launchRouter(model, layout.router(), expertsFile);
            started.add(router);
            started.add(gateway);
            String routerInternal = BIND_ADDRESS + ":" + layout.routerInternalPort();
            ServiceProcess placement = null;
            if (controller != null) {
                placement = launchController(controller, routerInternal, startExpert);
                started.add(placement); // stopped first: it must not re-place while the experts go down
            }
            HealthProbe.awaitServing(started, layout.readyTimeout());
            ClusterState state = new ClusterState(modelDir, gateway.target(), router.target(), routerInternal,
                    placement == null ? null : placement.target(),
                    placement == null ? null : "http://127.0.0.1:" + controller.httpPort() + "/placement",
                    layout.routerMetricsUrl(), List.copyOf(started), apiKeyFile.toAbsolutePath().toString(),
                    layout.openAiUrl());
            state.write(stateDir);
            return state;
        } catch (RuntimeException e) {
            if (gateway != null && !started.contains(gateway)) {
                started.add(gateway);
            }
            ClusterStop.stopAll(stateDir, started, Duration.ofSeconds(10));
            throw e;
        }
    }

    /** {@link #launchExperts}' command for expert 0 on port 0; {@link StartExpertScript} puts in its own values. */
    List<String> expertCommand(Path model) {
        List<String> args = new ArrayList<>(ServiceArguments.localMode("expert"));
        args.addAll(ServiceArguments.expert(model, ExpertGroup.of(0), ExpertGroup.of(0).workers(cores()), 0,
                List.of()));
        return launcher.command("expert-service", args, false);
    }

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Starts replica {@code replica} of the service of expert {@code expert} (every layer) on {@code port}. */
    public ServiceProcess launchExpert(Path model, int expert, int replica, int port) {
        return launchExpert(model, expert, replica, port, List.of());
    }

    /** The same, also hosting {@code partners} (a placement plan's partner units for this service). */
    public ServiceProcess launchExpert(Path model, int expert, int replica, int port, Collection<Unit> partners) {
        return launchExperts(model, ExpertGroup.of(expert), replica, port, partners);
    }

    /**
     * Starts replica {@code replica} of the process hosting the experts of {@code group} (every layer)
     * on {@code port}, with {@link ExpertGroup#workers} forward-pass threads for this machine's cores.
     */
    public ServiceProcess launchExperts(Path model, ExpertGroup group, int replica, int port,
            Collection<Unit> partners) {
        int workers = group.workers(cores());
        return launch(group.processName(replica), "expert", port, "expert-service",
                ServiceArguments.expert(model, group, workers, port, partners));
    }

    /**
     * Starts a router for {@code model} that sends expert work to {@code experts} ({@code host:port}),
     * with its HTTP port on too unless it is {@link Layout#NO_HTTP}: {@code /actuator/prometheus}
     * (the scheduler's counters, heap and threads) and {@code /actuator/health}.
     */
    public ServiceProcess launchRouter(Path model, RouterPorts ports, List<String> experts) {
        return launch("router", "router", ports.grpc(), "router-service",
                ServiceArguments.router(model, ports, experts), ports.http() != Layout.NO_HTTP);
    }

    /**
     * Starts a router for {@code model} that follows the expert endpoints listed in {@code expertsFile}
     * ({@link ExpertEndpointsFile}; {@code moemesh.router.discovery=file}), so that expert processes the
     * placement controller starts or stops reach it without a restart.
     */
    public ServiceProcess launchRouter(Path model, RouterPorts ports, Path expertsFile) {
        return launch("router", "router", ports.grpc(), "router-service",
                ServiceArguments.router(model, ports, expertsFile), ports.http() != Layout.NO_HTTP);
    }

    /**
     * Starts a placement controller that plans from, and switches, the router whose internal
     * services listen at {@code router} ({@code host:port} of its internal port).
     */
    public ServiceProcess launchController(Controller controller, String router) {
        return launchController(controller, router, null);
    }

    /**
     * {@link #launchController(Controller, String)} in charge of this cluster's expert processes too:
     * it finds them in the state directory's pid files ({@link ExpertPidFile}), starts more with
     * {@code startExpert} ({@link StartExpertScript}; null when the processes are packed: then it
     * starts none) and lists them in the router's experts file ({@link ExpertEndpointsFile}).
     */
    ServiceProcess launchController(Controller controller, String router, Path startExpert) {
        List<String> args = new ArrayList<>(controller.arguments(router));
        args.addAll(ServiceArguments.localController(stateDir, startExpert));
        return launch("placement", "controller", controller.grpcPort(), "placement-controller", args, true);
    }

    /**
     * Starts a gateway in front of {@code routers} that accepts the key in {@code apiKeyFile}
     * ({@link ApiKeyFile#create}), with local mode's per-key limits ({@link ServiceArguments#gateway}).
     * {@code httpPort} is the OpenAI-compatible API's, or {@link Layout#NO_HTTP}.
     */
    public ServiceProcess launchGateway(int port, int httpPort, List<String> routers, Path apiKeyFile) {
        return launch("gateway", "gateway", port, "gateway-service",
                ServiceArguments.gateway(port, httpPort, routers, apiKeyFile));
    }

    /**
     * Stops the recorded processes: SIGTERM (they drain), then SIGKILL after {@code grace}. The
     * placement controller goes first, and whatever it started still runs (a replica it was starting:
     * its descendants, found before it exits) goes with it, so that nothing starts or re-places while
     * the rest stop; then every process of the pid files ({@link ExpertPidFile}: the controller's
     * replicas as well as {@code moe up}'s experts) with the others. The pid files go too.
     */
    public Down down(Duration grace) {
        ClusterState state = ClusterState.read(stateDir);
        int stopped = ClusterStop.stopAll(stateDir, state.processes(), grace);
        ClusterState.delete(stateDir);
        ApiKeyFile.delete(stateDir);
        return new Down(state, stopped);
    }

    private ServiceProcess launch(String name, String role, int port, String module, List<String> args) {
        return launch(name, role, port, module, args, false);
    }

    /** @param web whether the service serves HTTP too (the controller's JSON status); the others need only gRPC */
    private ServiceProcess launch(String name, String role, int port, String module, List<String> args, boolean web) {
        List<String> all = new ArrayList<>(ServiceArguments.localMode(role));
        all.addAll(args);
        return launcher.launch(name, role, port, module, all, web);
    }
}
