package io.moemesh.bench.harness;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Reads the router's cumulative traffic to its expert endpoints (the routing-statistics RPC) and
 * turns two readings into the figures the placement work is judged by: remote calls and bytes per
 * token per layer. A router that cannot be asked, or that runs its experts in process, yields no
 * reading; that is said once on stderr and the benchmark goes on without these columns.
 */
final class DispatchTrafficClient implements AutoCloseable {

    private final String target;
    private final ManagedChannel channel;
    private boolean warned;

    DispatchTrafficClient(String target, ManagedChannel channel) {
        this.target = target;
        this.channel = channel;
    }

    static DispatchTrafficClient connect(String target) {
        return new DispatchTrafficClient(target,
                Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
    }

    /** The counters now, or empty when the router cannot tell. */
    Optional<DispatchTraffic> read() {
        try {
            RoutingStatsSnapshot s = RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
            if (!s.hasTraffic()) {
                warnOnce("router " + target + " reports no dispatch traffic (its experts run in process)");
                return Optional.empty();
            }
            return Optional.of(s.getTraffic());
        } catch (StatusRuntimeException e) {
            warnOnce("router " + target + " unreachable (" + e.getStatus().getCode() + ": "
                    + e.getStatus().getDescription() + ")");
            return Optional.empty();
        }
    }

    /**
     * The traffic between two readings: the raw differences, and per token per MoE layer step the
     * Compute sends (1 when a token's experts are co-hosted, 2 when they are not, for top-2) and the
     * payload bytes both ways. Ratios are left out when no layer step completed in between.
     */
    static Map<String, Object> between(DispatchTraffic before, DispatchTraffic after) {
        long calls = after.getExpertCalls() - before.getExpertCalls();
        long sends = after.getTokenSends() - before.getTokenSends();
        long tokenLayers = after.getTokenLayers() - before.getTokenLayers();
        long sent = after.getBytesSent() - before.getBytesSent();
        long received = after.getBytesReceived() - before.getBytesReceived();
        Map<String, Object> m = new LinkedHashMap<>();
        if (tokenLayers > 0) {
            m.put("remote_calls_per_token_per_layer", (double) sends / tokenLayers);
            m.put("bytes_per_token_per_layer", (double) (sent + received) / tokenLayers);
        }
        m.put("expert_calls", calls);
        m.put("token_sends", sends);
        m.put("token_layers", tokenLayers);
        m.put("bytes_sent", sent);
        m.put("bytes_received", received);
        return m;
    }

    private void warnOnce(String message) {
        if (!warned) {
            System.err.println(message + ": dispatch traffic columns omitted");
            warned = true;
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
