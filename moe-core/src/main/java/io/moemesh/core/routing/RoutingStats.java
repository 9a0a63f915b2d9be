package io.moemesh.core.routing;

import java.time.Instant;

/**
 * What the gate did over a time window, per MoE layer: how many tokens passed, how many chose each
 * expert, how often each pair of experts was chosen together by one token (co-activation), and
 * the most frequent whole expert sets. The placement controller plans from this. Layers are MoE
 * layers numbered by their ordinal among the model's sparse layers, not decoder-layer indexes.
 * Arrays are owned by the record; treat as read-only.
 *
 * @param tokens       {@code [layer]} tokens routed
 * @param expertTokens {@code [layer][expert]} tokens that chose the expert
 * @param coactivation {@code [layer][i * numExperts + j]}, symmetric, zero diagonal
 * @param expertSets   {@code [layer]} the heaviest expert sets, or null where the source did not
 *                     record them (a router from before they existed): planning then uses pairs
 */
public record RoutingStats(
        int numLayers, int numExperts, Instant windowStart, Instant windowEnd,
        long[] tokens, long[][] expertTokens, long[][] coactivation, ExpertSets[] expertSets) {

    /** Statistics without expert sets. */
    public RoutingStats(int numLayers, int numExperts, Instant windowStart, Instant windowEnd,
            long[] tokens, long[][] expertTokens, long[][] coactivation) {
        this(numLayers, numExperts, windowStart, windowEnd, tokens, expertTokens, coactivation, null);
    }

    public static RoutingStats empty(int numLayers, int numExperts, Instant start, Instant end) {
        return new RoutingStats(numLayers, numExperts, start, end, new long[numLayers],
                new long[numLayers][numExperts], new long[numLayers][numExperts * numExperts]);
    }

    /** The same counts with these expert sets (one per layer) attached. */
    public RoutingStats withExpertSets(ExpertSets[] sets) {
        if (sets != null && sets.length != numLayers) {
            throw new IllegalArgumentException(sets.length + " layers of expert sets for " + numLayers + " layers");
        }
        return new RoutingStats(numLayers, numExperts, windowStart, windowEnd, tokens, expertTokens, coactivation,
                sets);
    }

    public boolean hasExpertSets() {
        return expertSets != null;
    }

    public long coactivation(int layer, int i, int j) {
        return coactivation[layer][i * numExperts + j];
    }

    /**
     * Experts each token chose (the gate's k), from the counts: expert choices over tokens, rounded,
     * on the first layer with traffic; 0 when no layer saw any.
     */
    public int topK() {
        for (int l = 0; l < numLayers; l++) {
            if (tokens[l] > 0) {
                long choices = 0;
                for (long n : expertTokens[l]) {
                    choices += n;
                }
                return (int) Math.round(choices / (double) tokens[l]);
            }
        }
        return 0;
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
