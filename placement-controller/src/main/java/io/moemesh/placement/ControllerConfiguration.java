package io.moemesh.placement;

import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.placement.grpc.ExpertClient;
import io.moemesh.placement.grpc.PlacementGrpcService;
import io.moemesh.placement.grpc.RouterClient;
import io.moemesh.placement.grpc.RouterDirectory;
import io.moemesh.placement.health.LoopProgress;
import io.moemesh.placement.leadership.LeaderElectionProperties;
import io.moemesh.placement.local.EndpointList;
import io.moemesh.placement.local.GrpcHealthCheck;
import io.moemesh.placement.local.LocalProcesses;
import io.moemesh.placement.local.LocalProperties;
import io.moemesh.placement.local.LocalScaling;
import io.moemesh.placement.kubernetes.KubernetesApplier;
import io.moemesh.placement.kubernetes.KubernetesCluster;
import io.moemesh.placement.kubernetes.PlacementReconciler;
import io.moemesh.placement.kubernetes.RolloutGate;
import io.moemesh.placement.leadership.LeaseLeadership;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.metrics.PlacementMetrics;
import io.moemesh.placement.round.InPlaceApplier;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlanApplier;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.ProgressWatchdog;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TransportConfiguration;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** Wires the controller: router and expert clients → planning round → loop → gRPC and HTTP status. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ControllerProperties.class, LeaderElectionProperties.class})
@Import(TransportConfiguration.class)
class ControllerConfiguration {

    /** Its one request (GetPlacement) is empty: 4 MiB, gRPC's own default, is plenty. */
    static final int MAX_INBOUND_BYTES = 4 << 20;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration HEALTH_DEADLINE = Duration.ofSeconds(2);
    private static final Duration LIST_POLL = Duration.ofMillis(250);
    /** Pause between two reads of an expert Deployment whose rollout the controller waits for. */
    private static final Duration ROLLOUT_POLL = Duration.ofSeconds(5);
    /**
     * Bound on a whole Kubernetes API call (connect, send, answer): the client's own default has no
     * read timeout, so an API server that accepts a call and never answers would hang a round.
     */
    private static final Duration KUBERNETES_CALL_TIMEOUT = Duration.ofSeconds(30);
    /** How often the watchdog asks whether the planning loop makes progress. */
    private static final Duration WATCHDOG_PERIOD = Duration.ofSeconds(1);

    /**
     * Channels to the routers' internal port (RoutingStats, ExpertEndpoints), with the internal TLS and
     * token; a {@code dns:///} entry is every router pod its name resolves to, looked up every round.
     */
    @Bean(destroyMethod = "close")
    RouterDirectory routerDirectory(ControllerProperties properties, InternalChannelFactory channels) {
        return new RouterDirectory(properties.routers(), RouterDirectory.Resolver.SYSTEM, (address, authority) -> {
            var builder = channels.builder(address);
            return new RouterClient(address, (authority == null ? builder : builder.overrideAuthority(authority))
                    .build(), properties.callTimeout(), properties.refreshTimeout());
        });
    }

    @Bean(destroyMethod = "close")
    ExpertClient expertClient(ControllerProperties properties, InternalChannelFactory channels) {
        return new ExpertClient(target -> channels.expertBuilder(target).build(), properties.callTimeout());
    }

    /**
     * A Lease decides which replica leads when leader election is on (the API client is the pod's
     * service account in a cluster, else the kubeconfig); otherwise this replica always leads.
     */
    @Bean
    Leadership leadership(LeaderElectionProperties election) {
        if (!election.enabled()) {
            return Leadership.always(election.identity());
        }
        try {
            return new LeaseLeadership(kubernetesClient(), election);
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.controller.leader-election.enabled=true but no Kubernetes API"
                    + " client could be configured (no in-cluster service account and no kubeconfig)", e);
        }
    }

    /** The round's long waits (rollouts) signal the loop's progress, which the watchdog reads. */
    @Bean
    PlacementLoop placementLoop(RouterDirectory routers, ExpertClient experts, Leadership leadership,
            ControllerProperties properties, InternalChannelFactory channels, MeterRegistry registry) {
        LoopProgress progress = new LoopProgress(Clock.systemUTC(), System::nanoTime);
        PlacementRound round = new PlacementRound(routers, experts, properties.settings(), Clock.systemUTC(),
                applier(properties, routers, experts, channels, registry, leadership, progress));
        return new PlacementLoop(round, leadership, properties.initialDelay(), properties.interval(), progress);
    }

    /**
     * Health follows the planning loop: NOT_SERVING once it made no progress for longer than
     * {@link LoopProgress#stallLimit} (10m30s with the defaults), SERVING again when it does.
     * The chart's liveness probe reads the same health, so a controller that stays stuck is
     * restarted: a stuck leader keeps renewing its Lease from another thread, so without a restart
     * no standby would ever take over. A restart loses only the dashboard's history and the first
     * round's traffic delta; placement is read back from the endpoints and Deployments.
     */
    @Bean(destroyMethod = "close")
    ProgressWatchdog placementWatchdog(ControllerProperties properties, PlacementLoop loop,
            GrpcServerLifecycle server) {
        Duration limit = LoopProgress.stallLimit(properties.initialDelay(), properties.interval(),
                properties.rolloutTimeout());
        return new ProgressWatchdog("placement controller", () -> loop.progress().health(limit), server::serving)
                .start(WATCHDOG_PERIOD);
    }

    /**
     * How plans reach the experts: through the Kubernetes API, or in place on the running endpoints
     * (with the local pruning and replica step when the controller runs the expert processes).
     */
    private static PlanApplier applier(ControllerProperties properties, RouterDirectory routers,
            ExpertClient experts, InternalChannelFactory channels, MeterRegistry registry, Leadership leadership,
            LoopProgress progress) {
        if (properties.mode() == ControllerProperties.Mode.KUBERNETES) {
            return new KubernetesApplier(reconciler(properties, registry, leadership, progress));
        }
        return properties.local().enabled()
                ? new InPlaceApplier(experts, localScaling(properties, routers, experts, channels))
                : new InPlaceApplier(experts);
    }

    /**
     * Local mode with {@code local.expert-command}: the expert processes of {@code moe up}, started
     * from its launch script and probed over the same channels (TLS, token) as the expert calls.
     */
    private static LocalScaling localScaling(ControllerProperties properties, RouterDirectory directory,
            ExpertClient experts, InternalChannelFactory channels) {
        LocalProperties local = properties.local();
        List<RouterPort> routers = List.copyOf(directory.clients()); // local mode: host:port entries, fixed
        LocalProcesses processes = new LocalProcesses(Path.of(local.expertCommand()), Path.of(local.stateDir()),
                local.startTimeout(), local.stopGrace(),
                new GrpcHealthCheck(target -> channels.expertBuilder(target).build(), HEALTH_DEADLINE));
        return new LocalScaling(routers, experts, processes, EndpointList.file(Path.of(local.endpointsFile())),
                new LocalScaling.Settings(properties.pruning().enabled(), properties.pruning().settings(),
                        local.maxExpertProcesses(), local.listTimeout(), LIST_POLL));
    }

    @Bean
    PlacementMetrics placementMetrics(MeterRegistry registry, PlacementLoop loop) {
        return new PlacementMetrics(registry, loop);
    }

    /**
     * Kubernetes mode: plans go to the expert Deployments and HPAs through the API; every read of a
     * rolling Deployment is progress of the loop.
     */
    private static PlacementReconciler reconciler(ControllerProperties properties, MeterRegistry registry,
            Leadership leadership, LoopProgress progress) {
        try {
            KubernetesCluster cluster = new KubernetesCluster(kubernetesClient(), properties.namespace(),
                    properties.expertSelector(), Clock.systemUTC());
            RolloutGate gate = RolloutGate.sleeping(cluster, new RolloutGate.Settings(properties.rolloutTimeout(),
                    ROLLOUT_POLL)).whileLeading(leadership::isLeader).reportingSteps(progress::progressed);
            return new PlacementReconciler(cluster, gate, registry);
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.controller.mode=kubernetes but no Kubernetes API client could be"
                    + " configured (no in-cluster service account and no kubeconfig)", e);
        }
    }

    /**
     * The pod's service account in a cluster, else the kubeconfig; every call bounded by
     * {@link #KUBERNETES_CALL_TIMEOUT}.
     */
    private static ApiClient kubernetesClient() throws IOException {
        return bounded(ClientBuilder.standard().build(), KUBERNETES_CALL_TIMEOUT);
    }

    /** {@code client} with each whole call (connect, send, answer) failing after {@code timeout}. */
    static ApiClient bounded(ApiClient client, Duration timeout) {
        return client.setHttpClient(client.getHttpClient().newBuilder().callTimeout(timeout).build());
    }

    @Bean
    GrpcServerLifecycle grpcServer(ControllerProperties properties, PlacementLoop loop, GrpcServerFactory servers) {
        GrpcServerLifecycle server = new GrpcServerLifecycle("placement-controller",
                servers.internalServer("placement-controller", properties.grpcPort(), MAX_INBOUND_BYTES,
                        DRAIN_TIMEOUT, Set.of()),
                List.of(new PlacementGrpcService(loop).bindService()), new HealthStatusManager(), DRAIN_TIMEOUT,
                new GrpcServerLifecycle.Hooks() { });
        servers.healthServer().ifPresent(server::plaintextHealth); // probes that cannot speak TLS
        return server;
    }
}
