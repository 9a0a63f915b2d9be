package io.moemesh.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The end-to-end harness's reading of the router's dispatch counters. */
class DispatchTrafficClientTest {

    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    private static DispatchTraffic traffic(long calls, long sends, long tokenLayers, long sent, long received) {
        return DispatchTraffic.newBuilder().setExpertCalls(calls).setTokenSends(sends).setTokenLayers(tokenLayers)
                .setBytesSent(sent).setBytesReceived(received).build();
    }

    private DispatchTrafficClient serving(RoutingStatsSnapshot snapshot) throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(new RoutingStatsGrpc.RoutingStatsImplBase() {
            @Override
            public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> response) {
                response.onNext(snapshot);
                response.onCompleted();
            }
        }).build().start();
        return new DispatchTrafficClient(name, InProcessChannelBuilder.forName(name).directExecutor().build());
    }

    @Test
    void dividesTheDifferencesByTheTokenLayersBetweenTwoReadings() {
        // 10 tokens × 2 layers in between; 6 of the 20 token-layers had their pair split over two endpoints
        Map<String, Object> row = DispatchTrafficClient.between(traffic(100, 300, 200, 5_000, 6_000),
                traffic(108, 326, 220, 5_000 + 26 * 256, 6_000 + 26 * 256));

        assertThat(row).containsEntry("remote_calls_per_token_per_layer", 26 / 20.0)
                .containsEntry("bytes_per_token_per_layer", 2 * 26 * 256 / 20.0)
                .containsEntry("expert_calls", 8L).containsEntry("token_sends", 26L).containsEntry("token_layers", 20L)
                .containsEntry("bytes_sent", 26L * 256).containsEntry("bytes_received", 26L * 256);
    }

    @Test
    void endpointsPerStepAndStepQuantilesComeFromTheDifferenceOfTheStepCounters() {
        // bounds 100/200/400 µs; in between: 60 steps ≤ 100 µs, 38 in (100, 200], 2 in (200, 400]
        DispatchTraffic before = traffic(100, 300, 200, 0, 0).toBuilder().setLayerSteps(50)
                .addAllStepMicrosBounds(java.util.List.of(100L, 200L, 400L))
                .addAllStepMicrosCounts(java.util.List.of(40L, 10L, 0L, 0L)).build();
        DispatchTraffic after = traffic(100 + 250, 300, 200, 0, 0).toBuilder().setLayerSteps(150)
                .addAllStepMicrosBounds(java.util.List.of(100L, 200L, 400L))
                .addAllStepMicrosCounts(java.util.List.of(100L, 48L, 2L, 0L)).build();

        Map<String, Object> row = DispatchTrafficClient.between(before, after);

        assertThat(row).containsEntry("layer_steps", 100L).containsEntry("endpoints_per_layer_step", 2.5)
                .containsEntry("layer_step_p50_ms", 0.1).containsEntry("layer_step_p99_ms", 0.4);
    }

    @Test
    void leavesTheRatiosOutWhenNoLayerStepCompleted() {
        Map<String, Object> row = DispatchTrafficClient.between(traffic(1, 1, 1, 1, 1), traffic(1, 1, 1, 1, 1));

        assertThat(row).doesNotContainKeys("remote_calls_per_token_per_layer", "bytes_per_token_per_layer")
                .containsEntry("token_layers", 0L);
    }

    @Test
    void readsTheCountersTheRouterReports() throws IOException {
        DispatchTraffic counters = traffic(3, 5, 4, 640, 384);

        try (DispatchTrafficClient client = serving(RoutingStatsSnapshot.newBuilder().setTraffic(counters).build())) {
            assertThat(client.read()).contains(counters);
        }
    }

    @Test
    void readsNothingFromARouterWithItsExpertsInProcess() throws IOException {
        try (DispatchTrafficClient client = serving(RoutingStatsSnapshot.newBuilder().setNumLayers(2).build())) {
            assertThat(client.read()).isEmpty();
        }
    }

    @Test
    void readsNothingFromARouterThatIsNotThere() {
        String name = InProcessServerBuilder.generateName(); // no server under this name
        try (DispatchTrafficClient client = new DispatchTrafficClient(name,
                InProcessChannelBuilder.forName(name).directExecutor().build())) {
            assertThat(client.read()).isEmpty();
        }
    }
}
