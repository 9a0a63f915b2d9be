package io.moemesh.placement.dashboard;

import io.moemesh.placement.grpc.RouterClient;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import java.util.ArrayList;
import java.util.List;

/**
 * A router in memory that serves the snapshot a test built, read through the controller's own
 * mapping of GetRoutingStats; or fails with {@link #failure}.
 */
class FakeRouter implements RouterPort {

    static final long[] BOUNDS_MICROS = {1_000, 2_000, 5_000, 10_000};

    private final String name;
    RoutingStatsSnapshot snapshot;
    RuntimeException failure;
    List<EndpointView> endpoints = List.of();
    int reads;
    int endpointCalls;

    FakeRouter(String name, RoutingStatsSnapshot snapshot) {
        this.name = name;
        this.snapshot = snapshot;
    }

    /**
     * A window of one model: {@code perExpert[l]} tokens per expert of layer l, each token choosing
     * two experts (the layer's tokens are half the choices), co-activation between experts 0 and 1.
     */
    static RoutingStatsSnapshot window(long[]... perExpert) {
        int experts = perExpert[0].length;
        RoutingStatsSnapshot.Builder b = RoutingStatsSnapshot.newBuilder().setNumLayers(perExpert.length)
                .setNumExperts(experts).setWindowStartUnixMillis(1_000).setWindowEndUnixMillis(61_000);
        for (int l = 0; l < perExpert.length; l++) {
            LayerRoutingStats.Builder layer = LayerRoutingStats.newBuilder().setLayer(l)
                    .setTokens(java.util.Arrays.stream(perExpert[l]).sum() / 2);
            for (long n : perExpert[l]) {
                layer.addTokensPerExpert(n);
            }
            for (int i = 0; i < experts * experts; i++) {
                layer.addCoactivation(i == 1 || i == experts ? Math.min(perExpert[l][0], perExpert[l][1]) : 0);
            }
            b.addLayers(layer);
        }
        return b.build();
    }

    /** The window with cumulative counters: forward, generated and degraded tokens, and dispatch traffic. */
    static RoutingStatsSnapshot counters(RoutingStatsSnapshot window, long forward, long generated, long degraded,
            long tokenSends, long tokenLayers, long bytes, EndpointCalls... endpoints) {
        return window.toBuilder()
                .setScheduler(SchedulerTiming.newBuilder().setTokens(forward).setGeneratedTokens(generated)
                        .setDegradedTokens(degraded))
                .setTraffic(DispatchTraffic.newBuilder().setTokenSends(tokenSends).setTokenLayers(tokenLayers)
                        .setBytesSent(bytes / 2).setBytesReceived(bytes - bytes / 2))
                .addAllEndpointCalls(List.of(endpoints)).build();
    }

    /** An endpoint's cumulative calls with the latency bucket counts (one more than {@link #BOUNDS_MICROS}). */
    static EndpointCalls endpoint(String id, long calls, long failed, long refused, long... counts) {
        EndpointCalls.Builder b = EndpointCalls.newBuilder().setEndpoint(id).setTarget(id + ":50051").setCalls(calls)
                .setFailedCalls(failed).setRefusedCalls(refused).setAccepting(true);
        List<Long> bounds = new ArrayList<>();
        for (long bound : BOUNDS_MICROS) {
            bounds.add(bound);
        }
        if (counts.length > 0) {
            b.addAllLatencyMicrosBounds(bounds);
            for (long n : counts) {
                b.addLatencyMicrosCounts(n);
            }
        }
        return b.build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Reading read() {
        reads++;
        if (failure != null) {
            throw failure;
        }
        return RouterClient.reading(name, snapshot);
    }

    @Override
    public List<EndpointView> endpoints() {
        endpointCalls++;
        return endpoints;
    }

    @Override
    public List<EndpointView> refresh() {
        throw new UnsupportedOperationException("the dashboard never refreshes a router");
    }
}
