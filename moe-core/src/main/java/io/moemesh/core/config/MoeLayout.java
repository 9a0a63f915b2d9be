package io.moemesh.core.config;

import java.util.Arrays;

/**
 * What differs between the MoE families beyond the shapes {@link ModelConfig} holds: which decoder
 * layers are sparse, the dense and shared FFNs that run beside attention, and the attention details.
 *
 * @param family                 the architecture, for tensor names
 * @param moeLayers              decoder-layer indices of the sparse (MoE) layers, ascending; routed
 *                               experts exist only there, and units are numbered by position in this array
 * @param denseIntermediateSize  width of the dense MLP of the other layers; 0 when every layer is sparse
 * @param sharedIntermediateSize width of the shared expert FFN of each MoE layer; 0 when there is none
 * @param sharedExpertGated      the shared expert's output is scaled by {@code sigmoid(shared_expert_gate·x)} (Qwen2-MoE)
 * @param normTopKProb           the k gate weights are renormalised to sum to 1 ({@code norm_topk_prob})
 * @param qkvBias                q, k and v projections carry a bias
 * @param outputBias             the o projection carries a bias
 * @param qkNorm                 RMSNorm of q and k before RoPE
 * @param clipQkv                q, k and v are clamped to {@code [-clipQkv, clipQkv]} after the norm; 0 when not
 */
public record MoeLayout(
        ModelFamily family,
        int[] moeLayers,
        int denseIntermediateSize,
        int sharedIntermediateSize,
        boolean sharedExpertGated,
        boolean normTopKProb,
        boolean qkvBias,
        boolean outputBias,
        QkNorm qkNorm,
        float clipQkv) {

    /** Where RMSNorm applies to q and k before RoPE. */
    public enum QkNorm {
        NONE,
        /** One weight of {@code head_dim}, applied to every head (Qwen3-MoE). */
        PER_HEAD,
        /** One weight over the whole projection, {@code heads·head_dim} for q (OLMoE). */
        WHOLE
    }

    public MoeLayout {
        moeLayers = moeLayers.clone();
        if (moeLayers.length == 0) {
            throw new ModelConfigException("the model has no MoE layer");
        }
        for (int i = 0; i < moeLayers.length; i++) {
            if (moeLayers[i] < 0 || (i > 0 && moeLayers[i] <= moeLayers[i - 1])) {
                throw new ModelConfigException("MoE layers " + Arrays.toString(moeLayers) + " must be ascending");
            }
        }
    }

    /** Mixtral's layout: every one of {@code numLayers} layers sparse, nothing shared. */
    public static MoeLayout mixtral(int numLayers) {
        int[] all = new int[numLayers];
        Arrays.setAll(all, i -> i);
        return new MoeLayout(ModelFamily.MIXTRAL, all, 0, 0, false, true, false, false, QkNorm.NONE, 0f);
    }

    @Override
    public int[] moeLayers() {
        return moeLayers.clone();
    }

    public int numMoeLayers() {
        return moeLayers.length;
    }

    /** The decoder layer of MoE layer {@code moeLayer}. */
    public int decoderLayer(int moeLayer) {
        return moeLayers[moeLayer];
    }

    /** The MoE-layer ordinal of decoder layer {@code layer}, or -1 when that layer is dense. */
    public int moeLayerOf(int layer) {
        int i = Arrays.binarySearch(moeLayers, layer);
        return i >= 0 ? i : -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MoeLayout m && family == m.family && Arrays.equals(moeLayers, m.moeLayers)
                && denseIntermediateSize == m.denseIntermediateSize
                && sharedIntermediateSize == m.sharedIntermediateSize && sharedExpertGated == m.sharedExpertGated
                && normTopKProb == m.normTopKProb && qkvBias == m.qkvBias && outputBias == m.outputBias
                && qkNorm == m.qkNorm && Float.compare(clipQkv, m.clipQkv) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * family.hashCode() + Arrays.hashCode(moeLayers);
    }

    @Override
    public String toString() {
        return family + " moeLayers=" + Arrays.toString(moeLayers) + " dense=" + denseIntermediateSize
                + " shared=" + sharedIntermediateSize + (sharedExpertGated ? " gated" : "")
                + " normTopK=" + normTopKProb + " qkNorm=" + qkNorm;
    }
}
