package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything of a Mixtral model except the expert FFNs: what the router holds. Tensor names are
 * those of HF {@code MixtralForCausalLM}, so a real checkpoint loads unchanged.
 */
public record DenseWeights(WeightMatrix embedTokens, List<Layer> layers, float[] finalNorm, WeightMatrix lmHead) {

    /** The dense tensors of one decoder layer. */
    public record Layer(
            float[] inputNorm,
            WeightMatrix q,
            WeightMatrix k,
            WeightMatrix v,
            WeightMatrix o,
            float[] postAttentionNorm,
            WeightMatrix gate) {
    }

    public static DenseWeights load(Checkpoint checkpoint, ModelConfig config) {
        int hidden = config.hiddenSize();
        WeightMatrix embed = checkpoint.matrix("model.embed_tokens.weight", config.vocabSize(), hidden);
        List<Layer> layers = new ArrayList<>(config.numLayers());
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new Layer(
                    checkpoint.vector(p + "input_layernorm.weight", hidden),
                    checkpoint.matrix(p + "self_attn.q_proj.weight", config.queryDim(), hidden),
                    checkpoint.matrix(p + "self_attn.k_proj.weight", config.kvDim(), hidden),
                    checkpoint.matrix(p + "self_attn.v_proj.weight", config.kvDim(), hidden),
                    checkpoint.matrix(p + "self_attn.o_proj.weight", hidden, config.queryDim()),
                    checkpoint.vector(p + "post_attention_layernorm.weight", hidden),
                    checkpoint.matrix(p + "block_sparse_moe.gate.weight", config.numExperts(), hidden)));
        }
        float[] norm = checkpoint.vector("model.norm.weight", hidden);
        WeightMatrix lmHead = config.tieWordEmbeddings() && !checkpoint.contains("lm_head.weight")
                ? embed
                : checkpoint.matrix("lm_head.weight", config.vocabSize(), hidden);
        return new DenseWeights(embed, List.copyOf(layers), norm, lmHead);
    }
}
