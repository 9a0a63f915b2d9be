package io.moemesh.core.gate;

import java.util.Arrays;

/**
 * Where one token goes at one MoE layer: {@code experts[j]} with weight {@code weights[j]},
 * ordered by descending weight; the weights sum to 1 when the model renormalises the top-k
 * ({@code norm_topk_prob}), and to the chosen experts' share of the softmax otherwise.
 */
public record GateDecision(int[] experts, float[] weights) {

    public GateDecision {
        if (experts.length != weights.length || experts.length == 0) {
            throw new IllegalArgumentException("experts " + Arrays.toString(experts)
                    + " and weights " + Arrays.toString(weights) + " must be non-empty and of equal length");
        }
    }

    public int k() {
        return experts.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GateDecision(int[] e, float[] w) && Arrays.equals(experts, e) && Arrays.equals(weights, w);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(experts) + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int j = 0; j < experts.length; j++) {
            sb.append(j == 0 ? "" : ", ").append(experts[j]).append(':').append(String.format("%.4f", weights[j]));
        }
        return sb.append(']').toString();
    }
}
