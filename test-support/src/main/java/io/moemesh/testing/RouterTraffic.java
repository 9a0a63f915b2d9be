package io.moemesh.testing;

import io.grpc.Channel;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import java.util.concurrent.TimeUnit;

/** A router's expert-call counters ({@code RoutingStats/GetRoutingStats}), read between steps of a test. */
public final class RouterTraffic {

    private RouterTraffic() {
    }

    /** The router's counters now; {@code router} is a channel to its gRPC port. */
    public static DispatchTraffic read(Channel router) {
        return RoutingStatsGrpc.newBlockingStub(router).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance()).getTraffic();
    }

    /** Remote sends per token per MoE layer between two readings (2.0: every top-2 token called two endpoints). */
    public static double sendsPerTokenAndLayer(DispatchTraffic before, DispatchTraffic after) {
        long tokenLayers = after.getTokenLayers() - before.getTokenLayers();
        if (tokenLayers <= 0) {
            throw new IllegalArgumentException("no token passed a MoE layer between the two readings");
        }
        return (after.getTokenSends() - before.getTokenSends()) / (double) tokenLayers;
    }
}
