package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.config.ModelFamily;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tensor.WeightMatrix;

/**
 * One routed expert FFN of one MoE layer (a "unit"): {@code w2(silu(w1·x) * w3·x)}, HF
 * {@code MixtralBlockSparseTop2MLP}; the other families name the same matrices {@code gate_proj}
 * (w1), {@code up_proj} (w3) and {@code down_proj} (w2). {@code w1} and {@code w3} are
 * {@code [intermediate, hidden]}, {@code w2} is {@code [hidden, intermediate]}. {@code layer} is the
 * MoE-layer ordinal, not the decoder layer.
 */
public record ExpertWeights(int layer, int expert, WeightMatrix w1, WeightMatrix w2, WeightMatrix w3) {

    /** Loads unit ({@code layer}, {@code expert}), {@code layer} counting MoE layers only. */
    public static ExpertWeights load(Checkpoint checkpoint, ModelConfig config, int layer, int expert) {
        if (layer < 0 || layer >= config.numMoeLayers() || expert < 0 || expert >= config.numExperts()) {
            throw new IllegalArgumentException("unit (" + layer + ", " + expert + ") is outside the model's "
                    + config.numMoeLayers() + " MoE layers × " + config.numExperts() + " experts");
        }
        int hidden = config.hiddenSize();
        int inter = config.intermediateSize();
        String p = "model.layers." + config.layout().decoderLayer(layer) + ".";
        if (config.family() == ModelFamily.MIXTRAL) {
            p += "block_sparse_moe.experts." + expert + ".";
            return new ExpertWeights(layer, expert,
                    checkpoint.matrix(p + "w1.weight", inter, hidden),
                    checkpoint.matrix(p + "w2.weight", hidden, inter),
                    checkpoint.matrix(p + "w3.weight", inter, hidden));
        }
        p += "mlp.experts." + expert + ".";
        return new ExpertWeights(layer, expert,
                checkpoint.matrix(p + "gate_proj.weight", inter, hidden),
                checkpoint.matrix(p + "down_proj.weight", hidden, inter),
                checkpoint.matrix(p + "up_proj.weight", inter, hidden));
    }

    public int hiddenSize() {
        return w1.cols();
    }

    public int intermediateSize() {
        return w1.rows();
    }
}
