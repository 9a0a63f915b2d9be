package io.moemesh.core.gate;

/**
 * Top-k softmax routing, as every supported family's gate does it (HF {@code MixtralSparseMoeBlock},
 * {@code Qwen2MoeTopKRouter}, ...): softmax over the router logits, keep the top-k experts and, where
 * the model renormalises ({@code norm_topk_prob}; Mixtral always), scale their probabilities to sum to 1.
 * Ties go to the lower expert index, so routing is deterministic across engines.
 */
public final class TopKGate {

    private TopKGate() {
    }

    public static GateDecision gate(float[] logits, int k) {
        return gate(logits, 0, logits.length, k);
    }

    /** Routes one token whose router logits are {@code logits[off .. off + numExperts)}. */
    public static GateDecision gate(float[] logits, int off, int numExperts, int k) {
        return gate(logits, off, numExperts, k, null);
    }

    /**
     * Routes one token among the experts with {@code available[e]} set ({@code null}: all): the
     * next-best experts by gate score stand in for unavailable ones, and the weights are
     * renormalised over the experts actually chosen. Fewer than k are chosen when fewer are available.
     */
    public static GateDecision gate(float[] logits, int off, int numExperts, int k, boolean[] available) {
        return gate(logits, off, numExperts, k, available, true);
    }

    /**
     * As {@link #gate(float[], int, int, int, boolean[])}; with {@code normalize} false the weights
     * stay the chosen experts' softmax probabilities over all experts and sum to less than 1.
     */
    public static GateDecision gate(float[] logits, int off, int numExperts, int k, boolean[] available,
            boolean normalize) {
        if (k < 1 || k > numExperts) {
            throw new IllegalArgumentException("k = " + k + " must be between 1 and the expert count " + numExperts);
        }
        for (int e = 0; e < numExperts; e++) {
            if (Float.isNaN(logits[off + e])) {
                throw new IllegalArgumentException("router logit of expert " + e + " is NaN");
            }
        }
        int candidates = numExperts;
        if (available != null) {
            candidates = 0;
            for (int e = 0; e < numExperts; e++) {
                candidates += available[e] ? 1 : 0;
            }
            if (candidates == 0) {
                throw new IllegalStateException("no expert is available to route to");
            }
        }
        int[] experts = selectTopK(logits, off, numExperts, Math.min(k, candidates), available);
        // Renormalised, the softmax denominator cancels, so the weights are the softmax over the
        // chosen logits alone; computing them that way matches the reference within float rounding and
        // cannot overflow. Not renormalised, they are the softmax over every expert, available or not:
        // the probabilities the model was trained with.
        float max = normalize ? logits[off + experts[0]] : max(logits, off, numExperts);
        float[] weights = new float[experts.length];
        for (int j = 0; j < experts.length; j++) {
            weights[j] = (float) Math.exp(logits[off + experts[j]] - max);
        }
        float sum = 0f;
        for (int e = 0; e < (normalize ? experts.length : numExperts); e++) {
            sum += normalize ? weights[e] : (float) Math.exp(logits[off + e] - max);
        }
        for (int j = 0; j < experts.length; j++) {
            weights[j] /= sum;
        }
        return new GateDecision(experts, weights);
    }

    private static float max(float[] logits, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < n; e++) {
            max = Math.max(max, logits[off + e]);
        }
        return max;
    }

    /** Selects by logit, which orders experts exactly as the softmax does but never rounds two apart into a tie. */
    private static int[] selectTopK(float[] logits, int off, int n, int k, boolean[] available) {
        int[] chosen = new int[k];
        boolean[] taken = new boolean[n];
        for (int e = 0; available != null && e < n; e++) {
            taken[e] = !available[e];
        }
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < n; e++) {
                if (!taken[e] && (best < 0 || logits[off + e] > logits[off + best])) {
                    best = e; // strict '>' keeps the lower index on a tie
                }
            }
            taken[best] = true;
            chosen[j] = best;
        }
        return chosen;
    }
}
