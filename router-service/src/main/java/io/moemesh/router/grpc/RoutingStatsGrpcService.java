package io.moemesh.router.grpc;

import io.grpc.stub.StreamObserver;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;

/** Serves the router's sliding-window routing statistics: the placement controller's input. */
public final class RoutingStatsGrpcService extends RoutingStatsGrpc.RoutingStatsImplBase {

    private final RoutingStatsWindow window;

    public RoutingStatsGrpcService(RoutingStatsWindow window) {
        this.window = window;
    }

    @Override
    public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> response) {
        response.onNext(toProto(window.snapshot()));
        response.onCompleted();
    }

    static RoutingStatsSnapshot toProto(RoutingStats s) {
        RoutingStatsSnapshot.Builder b = RoutingStatsSnapshot.newBuilder()
                .setWindowStartUnixMillis(s.windowStart().toEpochMilli())
                .setWindowEndUnixMillis(s.windowEnd().toEpochMilli())
                .setNumLayers(s.numLayers())
                .setNumExperts(s.numExperts());
        for (int l = 0; l < s.numLayers(); l++) {
            LayerRoutingStats.Builder layer = LayerRoutingStats.newBuilder().setLayer(l).setTokens(s.tokens()[l]);
            for (long n : s.expertTokens()[l]) {
                layer.addTokensPerExpert(n);
            }
            for (long n : s.coactivation()[l]) {
                layer.addCoactivation(n);
            }
            b.addLayers(layer);
        }
        return b.build();
    }
}
