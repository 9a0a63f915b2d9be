package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.safetensors.Checkpoint;
import java.util.Arrays;

/**
 * All experts of a model, in this process. Tokens are grouped per expert so each expert runs once
 * per layer step over all of its tokens (per-expert batching); outputs are scaled by the gate
 * weight and summed per token. Thread-safe: all scratch space is allocated per call.
 */
public final class LocalExperts implements ExpertDispatch {

    private final ExpertWeights[][] units; // [layer][expert]
    private final ExpertFfn ffn;
    private final int hidden;
    private final int intermediate;

    public LocalExperts(ExpertWeights[][] units, Kernels kernels) {
        this.units = units;
        this.ffn = new ExpertFfn(kernels);
        this.hidden = units[0][0].hiddenSize();
        this.intermediate = units[0][0].intermediateSize();
    }

    public static LocalExperts load(Checkpoint checkpoint, ModelConfig config, Kernels kernels) {
        ExpertWeights[][] units = new ExpertWeights[config.numMoeLayers()][config.numExperts()];
        for (int layer = 0; layer < config.numMoeLayers(); layer++) {
            for (int e = 0; e < config.numExperts(); e++) {
                units[layer][e] = ExpertWeights.load(checkpoint, config, layer, e);
            }
        }
        return new LocalExperts(units, kernels);
    }

    @Override
    public void combine(int layer, float[] x, int tokens, GateDecision[] routes, float[] out) {
        Arrays.fill(out, 0, tokens * hidden, 0f);
        ExpertWeights[] experts = units[layer];
        int[][] tokensOf = groupByExpert(routes, tokens, experts.length);
        float[] in = new float[tokens * hidden];
        float[] result = new float[tokens * hidden];
        ExpertFfn.Scratch scratch = ExpertFfn.Scratch.forTokens(tokens, intermediate);
        for (int e = 0; e < experts.length; e++) {
            int[] group = tokensOf[e];
            if (group.length == 0) {
                continue;
            }
            for (int i = 0; i < group.length; i++) {
                System.arraycopy(x, group[i] * hidden, in, i * hidden, hidden);
            }
            ffn.forward(experts[e], in, group.length, scratch, result);
            for (int i = 0; i < group.length; i++) {
                int t = group[i];
                addWeighted(weightOf(routes[t], e), result, i * hidden, out, t * hidden, hidden);
            }
        }
    }

    /**
     * {@code out += weight · y}, multiply then add (Java never fuses them): the combine rule every
     * side of the system uses, in ascending expert order, so that what different endpoints compute
     * (a sum over a token's first experts, or one row per expert) adds up to exactly the in-process
     * result for any top-k (ADR 0001).
     */
    public static void addWeighted(float weight, float[] y, int yOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] += weight * y[yOff + i];
        }
    }

    /** For each expert, the indices of the tokens routed to it, in token order. */
    static int[][] groupByExpert(GateDecision[] routes, int tokens, int numExperts) {
        int[] counts = new int[numExperts];
        for (int t = 0; t < tokens; t++) {
            for (int e : routes[t].experts()) {
                counts[e]++;
            }
        }
        int[][] groups = new int[numExperts][];
        for (int e = 0; e < numExperts; e++) {
            groups[e] = new int[counts[e]];
            counts[e] = 0;
        }
        for (int t = 0; t < tokens; t++) {
            for (int e : routes[t].experts()) {
                groups[e][counts[e]++] = t;
            }
        }
        return groups;
    }

    private static float weightOf(GateDecision route, int expert) {
        for (int j = 0; j < route.k(); j++) {
            if (route.experts()[j] == expert) {
                return route.weights()[j];
            }
        }
        throw new IllegalStateException("expert " + expert + " not in route " + route);
    }
}
