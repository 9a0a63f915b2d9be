package io.moemesh.placement;

import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.placement.grpc.ExpertClient;
import io.moemesh.placement.grpc.PlacementGrpcService;
import io.moemesh.placement.grpc.RouterClient;
import io.moemesh.placement.grpc.RouterDirectory;
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
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TransportConfiguration;
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
            return new LeaseLeadership(ClientBuilder.standard().build(), election);
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.controller.leader-election.enabled=true but no Kubernetes API"
                    + " client could be configured (no in-cluster service account and no kubeconfig)", e);
        }
    }

    @Bean
    PlacementLoop placementLoop(RouterDirectory routers, ExpertClient experts, Leadership leadership,
            ControllerProperties properties, InternalChannelFactory channels, MeterRegistry registry) {
        PlacementRound round = new PlacementRound(routers, experts, properties.settings(), Clock.systemUTC(),
                applier(properties, routers, experts, channels, registry, leadership));
        return new PlacementLoop(round, leadership, properties.initialDelay(), properties.interval(),
                Clock.systemUTC());
    }

    /**
     * How plans reach the experts: through the Kubernetes API, or in place on the running endpoints
     * (with the local pruning and replica step when the controller runs the expert processes).
     */
    private static PlanApplier applier(ControllerProperties properties, RouterDirectory routers,
            ExpertClient experts, InternalChannelFactory channels, MeterRegistry registry, Leadership leadership) {
        if (properties.mode() == ControllerProperties.Mode.KUBERNETES) {
            return new KubernetesApplier(reconciler(properties, registry, leadership));
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

    /** Kubernetes mode: plans go to the expert Deployments and HPAs through the API. */
    private static PlacementReconciler reconciler(ControllerProperties properties, MeterRegistry registry,
            Leadership leadership) {
        try {
            KubernetesCluster cluster = new KubernetesCluster(ClientBuilder.standard().build(),
                    properties.namespace(), properties.expertSelector(), Clock.systemUTC());
            return new PlacementReconciler(cluster, RolloutGate.sleeping(cluster,
                    new RolloutGate.Settings(properties.rolloutTimeout(), ROLLOUT_POLL)).whileLeading(leadership::isLeader),
                    registry);
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.controller.mode=kubernetes but no Kubernetes API client could be"
                    + " configured (no in-cluster service account and no kubeconfig)", e);
        }
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
