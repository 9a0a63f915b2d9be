package io.moemesh.bench.harness;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
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
        return readSnapshot().map(RoutingStatsSnapshot::getTraffic);
    }

    /** The router's whole statistics snapshot (traffic and scheduler timing), or empty when it cannot tell. */
    Optional<RoutingStatsSnapshot> readSnapshot() {
        try {
            RoutingStatsSnapshot s = RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
            if (!s.hasTraffic()) {
                warnOnce("router " + target + " reports no dispatch traffic (its experts run in process)");
                return Optional.empty();
            }
            return Optional.of(s);
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
        long steps = after.getLayerSteps() - before.getLayerSteps();
        Map<String, Object> m = new LinkedHashMap<>();
        if (tokenLayers > 0) {
            m.put("remote_calls_per_token_per_layer", (double) sends / tokenLayers);
            m.put("bytes_per_token_per_layer", (double) (sent + received) / tokenLayers);
        }
        if (steps > 0) {
            m.put("endpoints_per_layer_step", (double) calls / steps);
            m.put("tokens_per_layer_step", (double) tokenLayers / steps);
            m.put("layer_step_p50_ms", stepQuantileMillis(before, after, 0.5));
            m.put("layer_step_p99_ms", stepQuantileMillis(before, after, 0.99));
        }
        m.put("layer_steps", steps);
        m.put("expert_calls", calls);
        m.put("token_sends", sends);
        m.put("token_layers", tokenLayers);
        m.put("bytes_sent", sent);
        m.put("bytes_received", received);
        return m;
    }

    /**
     * The q-quantile of the layer step times between two readings: the upper bound of the bucket it
     * falls in (so at most one bucket, about 9%, above the true value); NaN when the router does not
     * time its steps or none completed.
     */
    /**
     * Where the time went between two readings: per batch step (whole, its forward pass, the dense part
     * of it, and the rest: sampling, detokenising, handing tokens to the streams) and per MoE layer step
     * (building and starting the calls, waiting, decoding and adding; of the wait, the slowest expert's own
     * time and what is left for the network path). Milliseconds per step; empty when nothing ran.
     */
    static Map<String, Object> breakdown(RoutingStatsSnapshot before, RoutingStatsSnapshot after) {
        Map<String, Object> m = new LinkedHashMap<>();
        SchedulerTiming b = before.getScheduler();
        SchedulerTiming a = after.getScheduler();
        DispatchTraffic tb = before.getTraffic();
        DispatchTraffic ta = after.getTraffic();
        long steps = a.getSteps() - b.getSteps();
        long layerSteps = ta.getLayerSteps() - tb.getLayerSteps();
        if (steps > 0) {
            double step = (a.getStepNanos() - b.getStepNanos()) / 1e6 / steps;
            double forward = (a.getForwardNanos() - b.getForwardNanos()) / 1e6 / steps;
            double layers = (ta.getStepNanos() - tb.getStepNanos()) / 1e6 / steps;
            m.put("batch_step_ms", step);
            m.put("tokens_per_batch_step", (double) (a.getTokens() - b.getTokens()) / steps);
            m.put("forward_ms", forward);
            m.put("moe_layers_ms", layers);
            m.put("dense_ms", forward - layers);
            m.put("sample_and_deliver_ms", step - forward);
        }
        if (layerSteps > 0) {
            double wait = (ta.getWaitNanos() - tb.getWaitNanos()) / 1e6 / layerSteps;
            double server = (ta.getSlowestServerNanos() - tb.getSlowestServerNanos()) / 1e6 / layerSteps;
            m.put("layer_step_mean_ms", (ta.getStepNanos() - tb.getStepNanos()) / 1e6 / layerSteps);
            m.put("layer_send_ms", (ta.getSendNanos() - tb.getSendNanos()) / 1e6 / layerSteps);
            m.put("layer_wait_ms", wait);
            m.put("layer_expert_ms", server);
            m.put("layer_network_ms", wait - server);
            m.put("layer_merge_ms", (ta.getMergeNanos() - tb.getMergeNanos()) / 1e6 / layerSteps);
        }
        return m;
    }

    static double stepQuantileMillis(DispatchTraffic before, DispatchTraffic after, double q) {
        int n = after.getStepMicrosCountsCount();
        if (n == 0 || (before.getStepMicrosCountsCount() != 0 && before.getStepMicrosCountsCount() != n)) {
            return Double.NaN;
        }
        long[] counts = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            counts[i] = after.getStepMicrosCounts(i) - (before.getStepMicrosCountsCount() == 0 ? 0 : before.getStepMicrosCounts(i));
            total += counts[i];
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < n; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return i < after.getStepMicrosBoundsCount() ? after.getStepMicrosBounds(i) / 1000.0 : Double.POSITIVE_INFINITY;
            }
        }
        return Double.POSITIVE_INFINITY;
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
