package io.moemesh.cli.local;

import static java.util.stream.Collectors.joining;

import io.moemesh.cli.local.LocalCluster.Controller;
import io.moemesh.cli.local.LocalCluster.Layout;
import io.moemesh.cli.local.LocalCluster.RouterPorts;
import io.moemesh.core.local.ExpertEndpointsFile;
import io.moemesh.core.placement.PlanFile;
import io.moemesh.core.placement.Unit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The command-line arguments {@code moe up} gives each service: every property it sets is spelled
 * once, here, as the service's {@code *Properties} record binds it ({@code ServicePropertyNamesTest}
 * checks each name against that record's source). {@link LocalCluster} decides what runs;
 * this class says with which settings.
 */
final class ServiceArguments {

    static final String EXPERT_MODEL_DIR = "moemesh.expert.model-dir";
    static final String EXPERT_EXPERTS = "moemesh.expert.experts";
    static final String EXPERT_EXTRA_UNITS = "moemesh.expert.extra-units";
    static final String EXPERT_GRPC_PORT = "moemesh.expert.grpc-port";
    static final String EXPERT_WORKERS = "moemesh.expert.workers";

    static final String ROUTER_MODEL_DIR = "moemesh.router.model-dir";
    static final String ROUTER_GRPC_PORT = "moemesh.router.grpc-port";
    static final String ROUTER_INTERNAL_GRPC_PORT = "moemesh.router.internal-grpc-port";
    static final String ROUTER_MAX_QUEUED_PER_CALLER = "moemesh.router.max-queued-per-caller";
    static final String ROUTER_EXPERTS = "moemesh.router.experts";
    static final String ROUTER_DISCOVERY = "moemesh.router.discovery";
    static final String ROUTER_EXPERTS_FILE = "moemesh.router.experts-file";

    static final String GATEWAY_GRPC_PORT = "moemesh.gateway.grpc-port";
    static final String GATEWAY_HTTP_PORT = "moemesh.gateway.http-port";
    static final String GATEWAY_ROUTERS = "moemesh.gateway.routers";
    static final String GATEWAY_API_KEYS_FILE = "moemesh.gateway.api-keys-file";
    static final String GATEWAY_LIMIT_FOR_PERIOD = "moemesh.gateway.rate-limit.limit-for-period";
    static final String GATEWAY_MAX_CONCURRENT_REQUESTS = "moemesh.gateway.caller-limits.max-concurrent-requests";
    static final String GATEWAY_TOKENS_PER_MINUTE = "moemesh.gateway.caller-limits.tokens-per-minute";

    static final String CONTROLLER_ROUTERS = "moemesh.controller.routers";
    static final String CONTROLLER_GRPC_PORT = "moemesh.controller.grpc-port";
    static final String CONTROLLER_INITIAL_DELAY = "moemesh.controller.initial-delay";
    static final String CONTROLLER_INTERVAL = "moemesh.controller.interval";
    static final String CONTROLLER_MIN_WINDOW_TOKENS = "moemesh.controller.min-window-tokens";
    static final String CONTROLLER_MIN_GAIN = "moemesh.controller.min-gain";
    static final String CONTROLLER_MEMORY_BUDGET = "moemesh.controller.memory-budget";
    static final String CONTROLLER_BALANCE_BOUND = "moemesh.controller.balance-bound";
    static final String CONTROLLER_DRY_RUN = "moemesh.controller.dry-run";
    static final String CONTROLLER_ENDPOINTS_FILE = "moemesh.controller.local.endpoints-file";
    static final String CONTROLLER_STATE_DIR = "moemesh.controller.local.state-dir";
    static final String CONTROLLER_EXPERT_COMMAND = "moemesh.controller.local.expert-command";
    static final String CONTROLLER_MAX_EXPERT_PROCESSES = "moemesh.controller.local.max-expert-processes";
    static final String CONTROLLER_PRUNING_ENABLED = "moemesh.controller.pruning.enabled";
    static final String CONTROLLER_PRUNING_THRESHOLD = "moemesh.controller.pruning.threshold";
    static final String CONTROLLER_PRUNING_QUALITY_BUDGET = "moemesh.controller.pruning.quality-budget";

    static final String TRANSPORT_BIND_ADDRESS = "moemesh.transport.bind-address";
    static final String AUTH_ALLOW_UNAUTHENTICATED = "moemesh.auth.allow-unauthenticated";
    /** Spring Boot's HTTP server (actuator, the controller's JSON status). */
    static final String SERVER_PORT = "server.port";
    static final String SERVER_ADDRESS = "server.address";

    /** The router's queue size (moemesh.router.max-queued-requests default): one local caller may fill it. */
    static final int LOCAL_QUEUE_SHARE = 256;

    private ServiceArguments() {
    }

    /** {@code --name=}: an argument without its value, as {@link StartExpertScript} fills it in. */
    static String option(String property) {
        return "--" + property + "=";
    }

    /** {@code --name=value}. */
    static String arg(String property, Object value) {
        return option(property) + value;
    }

    static List<String> expert(Path model, ExpertGroup group, int workers, int port, Collection<Unit> partners) {
        List<String> args = new ArrayList<>(List.of(
                arg(EXPERT_MODEL_DIR, model.toAbsolutePath().normalize()),
                arg(EXPERT_EXPERTS, group.experts().stream().map(String::valueOf).collect(joining(","))),
                arg(EXPERT_GRPC_PORT, port), arg(EXPERT_WORKERS, workers)));
        if (!partners.isEmpty()) {
            args.add(arg(EXPERT_EXTRA_UNITS, PlanFile.spell(partners)));
        }
        return args;
    }

    /** {@link #router(Path, RouterPorts, List)} with file discovery instead of a fixed list. */
    static List<String> router(Path model, RouterPorts ports, Path expertsFile) {
        List<String> args = new ArrayList<>(router(model, ports, List.of()));
        args.add(arg(ROUTER_DISCOVERY, "file"));
        args.add(arg(ROUTER_EXPERTS_FILE, expertsFile.toAbsolutePath().normalize()));
        return args;
    }

    /**
     * Local mode has one user and one key, so the gateway's calls all come as one caller: the
     * router's per-caller share of its admission queue is raised to the whole queue (256), as the
     * gateway's per-key limits are.
     */
    static List<String> router(Path model, RouterPorts ports, List<String> experts) {
        List<String> args = new ArrayList<>(List.of(arg(ROUTER_MODEL_DIR, model.toAbsolutePath().normalize()),
                arg(ROUTER_GRPC_PORT, ports.grpc()), arg(ROUTER_INTERNAL_GRPC_PORT, ports.internal()),
                arg(ROUTER_MAX_QUEUED_PER_CALLER, LOCAL_QUEUE_SHARE)));
        if (!experts.isEmpty()) {
            args.add(arg(ROUTER_EXPERTS, String.join(",", experts)));
        }
        if (ports.http() != Layout.NO_HTTP) {
            args.add(arg(SERVER_PORT, ports.http()));
        }
        return args;
    }

    /**
     * Local mode has one user, so everything comes with that one key: the gateway's per-key limits are
     * raised from the production defaults (20 requests/s, 16 concurrent, 120,000 tokens/minute), which
     * guard a shared gateway against other callers, so that benchmarks running 32 streams are not refused.
     */
    static List<String> gateway(int port, int httpPort, List<String> routers, Path apiKeyFile) {
        return List.of(arg(GATEWAY_GRPC_PORT, port), arg(GATEWAY_HTTP_PORT, httpPort),
                arg(GATEWAY_ROUTERS, String.join(",", routers)),
                arg(GATEWAY_API_KEYS_FILE, apiKeyFile.toAbsolutePath()),
                arg(GATEWAY_LIMIT_FOR_PERIOD, 1000),
                arg(GATEWAY_MAX_CONCURRENT_REQUESTS, 256),
                arg(GATEWAY_TOKENS_PER_MINUTE, 100000000));
    }

    /** The placement controller's plan settings, and what it may do with the expert processes. */
    static List<String> controller(Controller controller, String router) {
        String interval = controller.interval().toMillis() + "ms";
        List<String> args = new ArrayList<>(List.of(arg(CONTROLLER_ROUTERS, router),
                arg(CONTROLLER_GRPC_PORT, controller.grpcPort()), arg(SERVER_PORT, controller.httpPort()),
                arg(CONTROLLER_INITIAL_DELAY, interval), arg(CONTROLLER_INTERVAL, interval),
                arg(CONTROLLER_MIN_WINDOW_TOKENS, controller.minWindowTokens()),
                arg(CONTROLLER_MIN_GAIN, controller.minGain()),
                arg(CONTROLLER_MEMORY_BUDGET, controller.memoryBudget()),
                arg(CONTROLLER_BALANCE_BOUND, controller.balanceBound()),
                arg(CONTROLLER_DRY_RUN, controller.dryRun())));
        args.addAll(processes(controller.processes()));
        return args;
    }

    /** The controller's settings for the expert processes ({@link ExpertProcesses}); moe up only passes them. */
    static List<String> processes(ExpertProcesses processes) {
        return List.of(arg(CONTROLLER_MAX_EXPERT_PROCESSES, processes.maxExpertProcesses()),
                arg(CONTROLLER_PRUNING_ENABLED, processes.pruning()),
                arg(CONTROLLER_PRUNING_THRESHOLD, processes.pruningThreshold()),
                arg(CONTROLLER_PRUNING_QUALITY_BUDGET, processes.pruningBudget()));
    }

    /** Where the controller finds and records the expert processes; no start command: it starts none. */
    static List<String> localController(Path stateDir, Path startExpert) {
        Path state = stateDir.toAbsolutePath().normalize();
        List<String> args = new ArrayList<>(List.of(
                arg(CONTROLLER_ENDPOINTS_FILE, ExpertEndpointsFile.in(state)),
                arg(CONTROLLER_STATE_DIR, state)));
        if (startExpert != null) { // packed processes have none, and run no controller (see LocalCluster.expertGroups)
            args.add(arg(CONTROLLER_EXPERT_COMMAND, startExpert.toAbsolutePath().normalize()));
        }
        return args;
    }

    /**
     * What local mode adds for every service: gRPC and HTTP bound to loopback; for the internal
     * services (everything but the gateway) no internal token or mTLS, which they refuse to start
     * without unless told so — loopback is the boundary here.
     */
    static List<String> localMode(String role) {
        List<String> args = new ArrayList<>(List.of(arg(TRANSPORT_BIND_ADDRESS, LocalCluster.BIND_ADDRESS),
                arg(SERVER_ADDRESS, LocalCluster.BIND_ADDRESS)));
        if (!role.equals("gateway")) {
            args.add(arg(AUTH_ALLOW_UNAUTHENTICATED, true));
        }
        return args;
    }
}
