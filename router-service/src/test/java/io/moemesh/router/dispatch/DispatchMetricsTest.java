package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.router.grpc.RoutingStatsGrpcService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The remote dispatch's meters and per-endpoint counts, after layer steps against in-process expert endpoints. */
class DispatchMetricsTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final ModelConfig CONFIG = ModelConfig.load(MODEL);
    private static final Set<Integer> ALL = Set.copyOf(IntStream.range(0, CONFIG.numExperts()).boxed().toList());

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static RemoteExperts connect(ExpertCluster cluster) {
        return RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel, CONFIG.numLayers(),
                CONFIG.numExperts(), CONFIG.hiddenSize(), DispatchProperties.defaults());
    }

    private DispatchMetrics bind(RemoteExperts experts, boolean perUnit) {
        DispatchMetrics metrics = new DispatchMetrics(experts, CONFIG.numLayers(), CONFIG.numExperts(), perUnit);
        metrics.bindTo(registry);
        return metrics;
    }

    private double unitCalls(int layer, int expert) {
        return registry.get(DispatchMetrics.UNIT_CALLS).tags("layer", Integer.toString(layer),
                "expert", Integer.toString(expert)).counter().count();
    }

    private double endpointCalls(String endpoint, String outcome) {
        return registry.get(DispatchMetrics.EXPERT_CALLS).tags("endpoint", endpoint, "outcome", outcome)
                .functionCounter().count();
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    @Test
    void countsStepsPerLayerCallsPerUnitAndEndpointAndTheTrafficTotals() {
        // endpoint-0 hosts experts 1 and 2, endpoint-1 expert 5, endpoint-2 the rest
        Set<Integer> rest = Set.of(0, 3, 4, 6, 7);
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(Set.of(1, 2), Set.of(5), rest));
                RemoteExperts experts = connect(cluster)) {
            bind(experts, true);

            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1, 2}, {1, 5}, {2, 5}});

            assertThat(registry.get(DispatchMetrics.LAYER_STEP).tag("layer", "0").timer().count()).isEqualTo(1);
            assertThat(registry.get(DispatchMetrics.LAYER_STEP).tag("layer", "1").timer().count()).isZero();
            assertThat(unitCalls(0, 1)).as("one call to endpoint-0 carried expert 1's tokens").isEqualTo(1);
            assertThat(unitCalls(0, 2)).isEqualTo(1);
            assertThat(unitCalls(0, 5)).isEqualTo(1);
            assertThat(unitCalls(0, 0)).isZero();
            assertThat(unitCalls(1, 1)).isZero();
            assertThat(endpointCalls("endpoint-0", "ok")).isEqualTo(1);
            assertThat(endpointCalls("endpoint-1", "ok")).isEqualTo(1);
            assertThat(endpointCalls("endpoint-2", "ok")).isZero();
            assertThat(endpointCalls("endpoint-0", "failed")).isZero();
            assertThat(registry.get(DispatchMetrics.EXPERT_CALL_LATENCY).tag("endpoint", "endpoint-1").timer().count())
                    .isEqualTo(1);
            RemoteExperts.Traffic traffic = experts.traffic();
            assertThat(counter("moemesh.router.dispatch.token.sends")).as("3 tokens to endpoint-0, 2 to endpoint-1")
                    .isEqualTo(5).isEqualTo(traffic.tokenSends());
            assertThat(counter("moemesh.router.dispatch.token.layers")).isEqualTo(3);
            assertThat(counter("moemesh.router.dispatch.bytes", "direction", "sent")).isEqualTo(traffic.bytesSent())
                    .isEqualTo(5.0 * CONFIG.hiddenSize() * Float.BYTES);
            assertThat(counter("moemesh.router.dispatch.bytes", "direction", "received"))
                    .isEqualTo(traffic.bytesReceived()).isPositive();
        }
    }

    @Test
    void perUnitOffRegistersNoPerUnitMeters() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(ALL));
                RemoteExperts experts = connect(cluster)) {
            bind(experts, false);

            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1, 2}});

            assertThat(registry.find(DispatchMetrics.UNIT_CALLS).meters()).isEmpty();
            assertThat(registry.get(DispatchMetrics.LAYER_STEP).tag("layer", "0").timer().count()).isEqualTo(1);
            assertThat(endpointCalls("endpoint-0", "ok")).isEqualTo(1);
        }
    }

    @Test
    void anEndpointThatLeavesTakesItsMetersAway() throws InterruptedException {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(ALL, ALL));
                RemoteExperts experts = connect(cluster)) {
            bind(experts, true);
            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1, 2}});
            double kept = endpointCalls("endpoint-0", "ok");
            assertThat(kept + endpointCalls("endpoint-1", "ok")).isEqualTo(1);

            experts.reconcile(List.of(cluster.endpoints.get(0)));

            assertThat(registry.find(DispatchMetrics.EXPERT_CALLS).tag("endpoint", "endpoint-1").meters()).isEmpty();
            assertThat(registry.find(DispatchMetrics.EXPERT_CALL_LATENCY).tag("endpoint", "endpoint-1").meters())
                    .isEmpty();
            assertThat(registry.find(DispatchMetrics.EXPERT_CALLS).tag("endpoint", "endpoint-0").meters()).hasSize(3);
            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1, 2}});
            assertThat(endpointCalls("endpoint-0", "ok")).as("a kept endpoint keeps its count").isEqualTo(kept + 1);
            assertThat(registry.get(DispatchMetrics.EXPERT_CALL_LATENCY).tag("endpoint", "endpoint-0").timer().count())
                    .isEqualTo((long) kept + 1);
        }
    }

    @Test
    void aFailingEndpointShowsFailedCallsInMetersAndRoutingStatistics() throws IOException {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(ALL, ALL));
                RemoteExperts experts = connect(cluster)) {
            bind(experts, true);
            cluster.services.get(0).down.set(true);
            cluster.services.get(1).down.set(true);

            // the step's call fails on one replica, its retry on the other; then endpoint-1 recovers
            assertThatThrownBy(() -> LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{3}}))
                    .isInstanceOf(ExpertsUnavailableException.class);
            RoutingStatsSnapshot afterFailure = snapshot(experts);
            assertThat(endpointCalls("endpoint-0", "failed")).isEqualTo(1);
            assertThat(endpointCalls("endpoint-1", "failed")).isEqualTo(1);
            cluster.services.get(1).down.set(false);
            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{3}});

            assertThat(afterFailure.getEndpointCallsList()).extracting(EndpointCalls::getEndpoint)
                    .containsExactly("endpoint-0", "endpoint-1");
            EndpointCalls first = afterFailure.getEndpointCalls(0);
            assertThat(first.getCalls()).isEqualTo(1);
            assertThat(first.getFailedCalls()).isEqualTo(1);
            assertThat(first.getTarget()).isEqualTo(cluster.endpoints.get(0).target());
            assertThat(first.getLatencyMicrosCountsList()).hasSize(first.getLatencyMicrosBoundsCount() + 1);
            assertThat(first.getLatencyMicrosCountsList().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
            assertThat(first.getLatencyNanos()).isPositive();
            assertThat(endpointCalls("endpoint-1", "failed")).isEqualTo(1);
            assertThat(endpointCalls("endpoint-1", "ok")).isEqualTo(1);
            EndpointCalls second = snapshot(experts).getEndpointCalls(1);
            assertThat(second.getCalls()).isEqualTo(2);
            assertThat(second.getFailedCalls()).isEqualTo(1);
            assertThat(first.getAccepting()).as("one failed call is below the breaker's minimum of two").isTrue();
            assertThat(second.getAccepting()).as("one failure in two calls reaches the 50% threshold").isFalse();
        }
    }

    @Test
    void aCallTheBulkheadRefusesCountsAsRefusedNotSent() {
        DispatchProperties oneCallInFlight = DispatchProperties.builder()
                .callTimeout(Duration.ofSeconds(30)).breakerOpenFor(Duration.ofMinutes(1)).maxConcurrentCalls(1).build();
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(ALL));
                RemoteExperts experts = RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel,
                        CONFIG.numLayers(), CONFIG.numExperts(), CONFIG.hiddenSize(), oneCallInFlight)) {
            bind(experts, true);
            FakeExpertService service = cluster.services.getFirst();
            service.hold.set(true);
            CompletableFuture<float[]> held = CompletableFuture.supplyAsync(
                    () -> LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1}}));
            await().atMost(Duration.ofSeconds(10)).until(() -> service.heldCalls() == 1);

            assertThatThrownBy(() -> LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{2}}))
                    .isInstanceOf(ExpertsUnavailableException.class);
            service.releaseHeld();
            assertThat(held).succeedsWithin(Duration.ofSeconds(10));

            assertThat(endpointCalls("endpoint-0", "refused")).isEqualTo(1);
            assertThat(endpointCalls("endpoint-0", "ok")).isEqualTo(1);
            assertThat(experts.endpointCalls().getFirst().refusedCalls()).isEqualTo(1);
            assertThat(experts.endpointCalls().getFirst().calls()).as("a refused call was never sent").isEqualTo(1);
            assertThat(experts.endpointCalls().getFirst().unitTokens()).as("nor did it ask for a unit").isEqualTo(1);
        }
    }

    @Test
    void unitTokensCountEachTokensListedExpertsOfTheCallsSentFailedOnesIncluded() throws IOException {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(ALL));
                RemoteExperts experts = connect(cluster)) {
            LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{1, 2}, {3}});
            cluster.services.getFirst().down.set(true);
            assertThatThrownBy(() -> LayerZero.combine(experts, CONFIG.hiddenSize(), new int[][] {{0, 3}}))
                    .isInstanceOf(ExpertsUnavailableException.class);

            EndpointCalls calls = snapshot(experts).getEndpointCalls(0);
            assertThat(calls.getCalls()).isEqualTo(2);
            assertThat(calls.getUnitTokens()).as("2 + 1 rows, then 2 rows of the failed call").isEqualTo(5);
        }
    }

    private static RoutingStatsSnapshot snapshot(RemoteExperts experts) throws IOException {
        RoutingStatsWindow window = new RoutingStatsWindow(CONFIG.numLayers(), CONFIG.numExperts(),
                Duration.ofMinutes(1), 6, Clock.systemUTC());
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new RoutingStatsGrpcService(window, () -> Optional.of(experts.traffic()),
                        Optional.empty(), experts::endpointCalls))
                .build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            return RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }
}
