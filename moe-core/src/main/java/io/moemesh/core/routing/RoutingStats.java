package io.moemesh.core.routing;

import java.time.Instant;

/**
 * What the gate did over a time window, per MoE layer: how many tokens passed, how many chose each
 * expert, and how often each pair of experts was chosen together by one token (co-activation).
 * The placement controller plans from this. Arrays are owned by the record; treat as read-only.
 *
 * @param tokens       {@code [layer]} tokens routed
 * @param expertTokens {@code [layer][expert]} tokens that chose the expert
 * @param coactivation {@code [layer][i * numExperts + j]}, symmetric, zero diagonal
 */
public record RoutingStats(
        int numLayers, int numExperts, Instant windowStart, Instant windowEnd,
        long[] tokens, long[][] expertTokens, long[][] coactivation) {

    public static RoutingStats empty(int numLayers, int numExperts, Instant start, Instant end) {
        return new RoutingStats(numLayers, numExperts, start, end, new long[numLayers],
                new long[numLayers][numExperts], new long[numLayers][numExperts * numExperts]);
    }

    public long coactivation(int layer, int i, int j) {
        return coactivation[layer][i * numExperts + j];
    }

    /** Fraction of the layer's expert choices that went to {@code expert} (each token makes k choices). */
    public double load(int layer, int expert) {
        long choices = 0;
        for (long n : expertTokens[layer]) {
            choices += n;
        }
        return choices == 0 ? 0 : expertTokens[layer][expert] / (double) choices;
    }
}
