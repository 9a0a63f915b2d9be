package io.moemesh.placement;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.placement.grpc.ExpertClient;
import io.moemesh.placement.grpc.PlacementGrpcService;
import io.moemesh.placement.grpc.RouterClient;
import io.moemesh.placement.leadership.LeaderElectionProperties;
import io.moemesh.placement.kubernetes.KubernetesCluster;
import io.moemesh.placement.kubernetes.PlacementReconciler;
import io.moemesh.placement.leadership.LeaseLeadership;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.service.GrpcServerLifecycle;
import io.kubernetes.client.util.ClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the controller: router and expert clients → planning round → loop → gRPC and HTTP status. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ControllerProperties.class, LeaderElectionProperties.class})
class ControllerConfiguration {

    @Bean
    List<RouterClient> routerClients(ControllerProperties properties) {
        return properties.routers().stream().map(r -> new RouterClient(r, channel(r), properties.callTimeout(),
                properties.refreshTimeout())).toList();
    }

    @Bean(destroyMethod = "close")
    ExpertClient expertClient(ControllerProperties properties) {
        return new ExpertClient(ControllerConfiguration::channel, properties.callTimeout());
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
    PlacementLoop placementLoop(List<RouterClient> routers, ExpertClient experts, Leadership leadership,
            ControllerProperties properties) {
        List<RouterPort> ports = List.copyOf(routers);
        return new PlacementLoop(new PlacementRound(ports, experts, properties.settings(), Clock.systemUTC(),
                reconciler(properties)), leadership, properties.initialDelay(), properties.interval(),
                Clock.systemUTC());
    }

    /** Kubernetes mode: plans go to the expert Deployments and HPAs through the API; local mode: none. */
    private static PlacementReconciler reconciler(ControllerProperties properties) {
        if (properties.mode() != ControllerProperties.Mode.KUBERNETES) {
            return null;
        }
        try {
            return new PlacementReconciler(new KubernetesCluster(ClientBuilder.standard().build(),
                    properties.namespace(), properties.expertSelector(), Clock.systemUTC()));
        } catch (IOException e) {
            throw new UncheckedIOException("moemesh.controller.mode=kubernetes but no Kubernetes API client could be"
                    + " configured (no in-cluster service account and no kubeconfig)", e);
        }
    }

    /** Closes the router channels when the context stops. */
    @Bean
    org.springframework.beans.factory.DisposableBean routerChannels(List<RouterClient> routers) {
        return () -> routers.forEach(RouterClient::close);
    }

    @Bean
    GrpcServerLifecycle grpcServer(ControllerProperties properties, PlacementLoop loop) {
        return new GrpcServerLifecycle("placement-controller",
                Grpc.newServerBuilderForPort(properties.grpcPort(), InsecureServerCredentials.create()),
                List.of(new PlacementGrpcService(loop).bindService()), new HealthStatusManager(), Duration.ofSeconds(5),
                new GrpcServerLifecycle.Hooks() { });
    }

    private static ManagedChannel channel(String target) {
        return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    }
}
