package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.router.dispatch.EndpointCallStats;
import io.moemesh.router.dispatch.ExpertEndpoint;
import io.moemesh.router.dispatch.RemoteExperts;
import io.moemesh.router.dispatch.StepTimes;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The routing-statistics RPC in process: windowed layer statistics plus the dispatch's cumulative traffic. */
class RoutingStatsGrpcServiceTest {

    private final RoutingStatsWindow window = new RoutingStatsWindow(2, 4, Duration.ofMinutes(1), 6,
            Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
    private Server server;
    private ManagedChannel channel;

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private RoutingStatsSnapshot serve(Supplier<Optional<RemoteExperts.Traffic>> traffic) throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new RoutingStatsGrpcService(window, traffic)).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        return RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
    }

    @Test
    void reportsTheDispatchCountersBesideTheLayerStatistics() throws IOException {
        window.record(0, new GateDecision(new int[] {1, 2}, new float[] {0.5f, 0.5f}));

        RoutingStatsSnapshot snapshot = serve(() -> Optional.of(new RemoteExperts.Traffic(3, 5, 4, 640, 384, 2,
                new StepTimes.Snapshot(new long[] {100, 200}, new long[] {1, 0, 1}), 1,
                new RemoteExperts.Phases(10_000, 1_000, 7_000, 2_000, 5_000))));

        assertThat(snapshot.getLayers(0).getTokens()).isEqualTo(1);
        assertThat(snapshot.hasTraffic()).isTrue();
        assertThat(snapshot.getTraffic()).isEqualTo(DispatchTraffic.newBuilder().setExpertCalls(3).setTokenSends(5)
                .setTokenLayers(4).setBytesSent(640).setBytesReceived(384).setLayerSteps(2).setFailedCalls(1)
                .addAllStepMicrosBounds(List.of(100L, 200L)).addAllStepMicrosCounts(List.of(1L, 0L, 1L))
                .setStepNanos(10_000).setSendNanos(1_000).setWaitNanos(7_000).setMergeNanos(2_000)
                .setSlowestServerNanos(5_000).build());
    }

    @Test
    void servesEachEndpointsCallsWithItsUnitTokens() throws IOException {
        EndpointCallStats.Snapshot endpoint = new EndpointCallStats.Snapshot(
                new ExpertEndpoint("expert-3-0", "127.0.0.1:7003"), 4, 1, 2, 7, 900,
                new StepTimes.Snapshot(new long[] {100, 200}, new long[] {3, 1, 0}), true);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new RoutingStatsGrpcService(window, Optional::empty, Optional.empty(),
                        () -> List.of(endpoint))).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();

        RoutingStatsSnapshot snapshot = RoutingStatsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());

        assertThat(snapshot.getEndpointCallsList()).containsExactly(EndpointCalls.newBuilder()
                .setEndpoint("expert-3-0").setTarget("127.0.0.1:7003").setCalls(4).setFailedCalls(1)
                .setRefusedCalls(2).setUnitTokens(7).setLatencyNanos(900)
                .addAllLatencyMicrosBounds(List.of(100L, 200L)).addAllLatencyMicrosCounts(List.of(3L, 1L, 0L))
                .setAccepting(true).build());
    }

    @Test
    void leavesTrafficUnsetWhenTheExpertsRunInProcess() throws IOException {
        RoutingStatsSnapshot snapshot = serve(Optional::empty);

        assertThat(snapshot.hasTraffic()).isFalse();
        assertThat(snapshot.getTraffic().getTokenLayers()).isZero();
        assertThat(snapshot.getNumLayers()).isEqualTo(2);
    }

    @Test
    void servesEachLayersExpertSets() throws IOException {
        window.record(1, new GateDecision(new int[] {3, 0, 2}, new float[3]));
        window.record(1, new GateDecision(new int[] {0, 2, 3}, new float[3]));

        RoutingStatsSnapshot snapshot = serve(Optional::empty);

        assertThat(snapshot.getExpertSetsRecorded()).isTrue();
        assertThat(snapshot.getLayers(1).getExpertSetsCount()).isEqualTo(1);
        assertThat(snapshot.getLayers(1).getExpertSets(0).getExpertsList()).containsExactly(0, 2, 3);
        assertThat(snapshot.getLayers(1).getExpertSets(0).getTokens()).isEqualTo(2);
        assertThat(snapshot.getLayers(0).getExpertSetsCount()).isZero();
    }
}
