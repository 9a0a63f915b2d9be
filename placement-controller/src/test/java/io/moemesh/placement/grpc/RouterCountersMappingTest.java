package io.moemesh.placement.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.EndpointCounters;
import io.moemesh.placement.round.RouterCounters;
import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The cumulative counters beside a router's window, as the controller reads them from GetRoutingStats. */
class RouterCountersMappingTest {

    private static final RoutingStatsSnapshot WINDOW = RoutingStatsCodec.encode(
            RoutingStats.empty(1, 2, Instant.EPOCH, Instant.EPOCH));

    private static EndpointCalls.Builder calls() {
        return EndpointCalls.newBuilder().setEndpoint("expert-1").setTarget("10.0.0.9:50051").setCalls(12)
                .setFailedCalls(2).setRefusedCalls(1).setLatencyNanos(9_000).setAccepting(true);
    }

    @Test
    void readsTheSchedulerAndEndpointCounters() {
        RouterCounters c = RouterClient.reading("router-0:50056", WINDOW.toBuilder()
                .setScheduler(SchedulerTiming.newBuilder().setTokens(90).setGeneratedTokens(30).setDegradedTokens(4))
                .addEndpointCalls(calls().addLatencyMicrosBounds(100).addLatencyMicrosBounds(200)
                        .addLatencyMicrosCounts(5).addLatencyMicrosCounts(6).addLatencyMicrosCounts(1))
                .build()).counters();

        assertThat(c.forwardTokens()).isEqualTo(90);
        assertThat(c.generatedTokens()).isEqualTo(30);
        assertThat(c.degradedTokens()).isEqualTo(4);
        EndpointCounters e = c.endpoints().getFirst();
        assertThat(e.key()).isEqualTo("expert-1");
        assertThat(e.calls()).isEqualTo(12);
        assertThat(e.failed()).isEqualTo(2);
        assertThat(e.refused()).isEqualTo(1);
        assertThat(e.boundsMicros()).containsExactly(100, 200);
        assertThat(e.counts()).containsExactly(5, 6, 1);
        assertThat(e.accepting()).isTrue();
    }

    @Test
    void aRouterThatFillsNothingInReadsAsZero() {
        assertThat(RouterClient.reading("router-0:50056", WINDOW).counters()).isEqualTo(RouterCounters.NONE);
    }

    @Test
    void aHistogramThatDoesNotFitItsBoundsIsDroppedButTheCallsKept() {
        EndpointCounters unsorted = RouterClient.reading("r:1", WINDOW.toBuilder().addEndpointCalls(calls()
                .addLatencyMicrosBounds(200).addLatencyMicrosBounds(100).addLatencyMicrosCounts(1)
                .addLatencyMicrosCounts(1).addLatencyMicrosCounts(1)).build()).counters().endpoints().getFirst();
        EndpointCounters short_ = RouterClient.reading("r:1", WINDOW.toBuilder().addEndpointCalls(calls()
                .addLatencyMicrosBounds(100).addLatencyMicrosCounts(1)).build()).counters().endpoints().getFirst();

        for (EndpointCounters e : new EndpointCounters[] {unsorted, short_}) {
            assertThat(e.counts()).isEmpty();
            assertThat(e.boundsMicros()).isEmpty();
            assertThat(e.calls()).isEqualTo(12);
        }
    }

    /** The router's own layout (StepTimes): 161 bounds from 16 µs, eight per doubling. */
    @Test
    void keepsAHistogramOfTheRoutersGeometricBuckets() {
        EndpointCalls.Builder c = calls();
        for (int k = 0; k <= 160; k++) {
            c.addLatencyMicrosBounds(Math.round(16 * Math.pow(2, k / 8.0))).addLatencyMicrosCounts(k % 3);
        }
        c.addLatencyMicrosCounts(1);

        EndpointCounters e = RouterClient.reading("r:1", WINDOW.toBuilder().addEndpointCalls(c).build()).counters()
                .endpoints().getFirst();

        assertThat(e.boundsMicros()).hasSize(161).startsWith(16, 17, 19);
        assertThat(e.counts()).hasSize(162);
    }

    @Test
    void aNegativeCounterRefusesTheReadingNamingTheRouter() {
        assertThatThrownBy(() -> RouterClient.reading("router-0:50056", WINDOW.toBuilder()
                .addEndpointCalls(calls().setFailedCalls(-1)).build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("router router-0:50056 sent statistics the controller refuses")
                .hasMessageContaining("endpoint expert-1 counters must not be negative");
        assertThatThrownBy(() -> RouterClient.reading("router-0:50056", WINDOW.toBuilder()
                .setScheduler(SchedulerTiming.newBuilder().setGeneratedTokens(-5)).build()))
                .hasMessageContaining("scheduler counters must not be negative, got -5");
    }

    @Test
    void tooManyEndpointsAreRefused() {
        RoutingStatsSnapshot.Builder b = WINDOW.toBuilder();
        for (int i = 0; i <= ProtoMapping.MAX_ENDPOINTS; i++) {
            b.addEndpointCalls(EndpointCalls.newBuilder().setEndpoint("e" + i));
        }

        assertThatThrownBy(() -> RouterClient.reading("r:1", b.build()))
                .hasMessageContaining("endpoint_calls lists 4097 endpoints, at most 4096");
    }
}
