package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tensor.WeightMatrix;

/**
 * One expert FFN of one MoE layer (a "unit"): {@code w2(silu(w1·x) * w3·x)}, HF
 * {@code MixtralBlockSparseTop2MLP}. {@code w1} and {@code w3} are {@code [intermediate, hidden]},
 * {@code w2} is {@code [hidden, intermediate]}.
 */
public record ExpertWeights(int layer, int expert, WeightMatrix w1, WeightMatrix w2, WeightMatrix w3) {

    public static ExpertWeights load(Checkpoint checkpoint, ModelConfig config, int layer, int expert) {
        String prefix = "model.layers." + layer + ".block_sparse_moe.experts." + expert + ".";
        int hidden = config.hiddenSize();
        int inter = config.intermediateSize();
        return new ExpertWeights(layer, expert,
                checkpoint.matrix(prefix + "w1.weight", inter, hidden),
                checkpoint.matrix(prefix + "w2.weight", hidden, inter),
                checkpoint.matrix(prefix + "w3.weight", inter, hidden));
    }

    public int hiddenSize() {
        return w1.cols();
    }

    public int intermediateSize() {
        return w1.rows();
    }
}
