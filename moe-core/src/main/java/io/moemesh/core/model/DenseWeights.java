package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.config.ModelFamily;
import io.moemesh.core.config.MoeLayout;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything of an MoE model except the routed experts' FFNs: what the router holds. That includes
 * the dense MLPs of non-MoE layers and the shared experts, which run beside attention (ADR 0003).
 * Tensor names are those of the family's Hugging Face checkpoints, so a real checkpoint loads unchanged.
 */
public record DenseWeights(WeightMatrix embedTokens, List<Layer> layers, float[] finalNorm, WeightMatrix lmHead) {

    /** One decoder layer: pre-norm attention, then pre-norm feed-forward. */
    public record Layer(float[] inputNorm, Attention attention, float[] postAttentionNorm, Feedforward feedforward) {

        /** The router weight {@code [experts, hidden]} of a sparse layer. */
        public WeightMatrix gate() {
            if (feedforward instanceof Sparse sparse) {
                return sparse.router();
            }
            throw new IllegalStateException("a dense layer has no router");
        }
    }

    /**
     * The attention projections; biases and q/k norms are {@code null} where the family has none.
     * {@code qNorm}/{@code kNorm} are {@code [headDim]} (per head) or the whole projection's width.
     */
    public record Attention(WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
            float[] qBias, float[] kBias, float[] vBias, float[] oBias, float[] qNorm, float[] kNorm) {
    }

    /** A SwiGLU FFN {@code down(silu(gate·x) * up·x)}. */
    public record Mlp(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {

        public int width() {
            return gate.rows();
        }
    }

    /** What follows attention: routed experts (plus shared ones), or one dense MLP. */
    public sealed interface Feedforward permits Sparse, Dense {
    }

    /**
     * An MoE layer's router and, where the family has them, its shared experts ({@code null} when
     * none) and the shared experts' sigmoid gate {@code [1, hidden]} ({@code null} when ungated).
     */
    public record Sparse(WeightMatrix router, Mlp shared, WeightMatrix sharedGate) implements Feedforward {
    }

    public record Dense(Mlp mlp) implements Feedforward {
    }

    public static DenseWeights load(Checkpoint checkpoint, ModelConfig config) {
        int hidden = config.hiddenSize();
        WeightMatrix embed = checkpoint.matrix("model.embed_tokens.weight", config.vocabSize(), hidden);
        List<Layer> layers = new ArrayList<>(config.numLayers());
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new Layer(
                    checkpoint.vector(p + "input_layernorm.weight", hidden),
                    attention(checkpoint, config, p + "self_attn."),
                    checkpoint.vector(p + "post_attention_layernorm.weight", hidden),
                    config.layout().moeLayerOf(i) >= 0
                            ? sparse(checkpoint, config, p)
                            : new Dense(mlp(checkpoint, p + "mlp.", config.layout().denseIntermediateSize(), hidden))));
        }
        float[] norm = checkpoint.vector("model.norm.weight", hidden);
        WeightMatrix lmHead = config.tieWordEmbeddings() && !checkpoint.contains("lm_head.weight")
                ? embed
                : checkpoint.matrix("lm_head.weight", config.vocabSize(), hidden);
        return new DenseWeights(embed, List.copyOf(layers), norm, lmHead);
    }

    private static Attention attention(Checkpoint checkpoint, ModelConfig config, String p) {
        MoeLayout layout = config.layout();
        int hidden = config.hiddenSize();
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        boolean qkv = layout.qkvBias();
        boolean perHead = layout.qkNorm() == MoeLayout.QkNorm.PER_HEAD;
        boolean norm = layout.qkNorm() != MoeLayout.QkNorm.NONE;
        return new Attention(
                checkpoint.matrix(p + "q_proj.weight", qDim, hidden),
                checkpoint.matrix(p + "k_proj.weight", kvDim, hidden),
                checkpoint.matrix(p + "v_proj.weight", kvDim, hidden),
                checkpoint.matrix(p + "o_proj.weight", hidden, qDim),
                qkv ? checkpoint.vector(p + "q_proj.bias", qDim) : null,
                qkv ? checkpoint.vector(p + "k_proj.bias", kvDim) : null,
                qkv ? checkpoint.vector(p + "v_proj.bias", kvDim) : null,
                layout.outputBias() ? checkpoint.vector(p + "o_proj.bias", hidden) : null,
                norm ? checkpoint.vector(p + "q_norm.weight", perHead ? config.headDim() : qDim) : null,
                norm ? checkpoint.vector(p + "k_norm.weight", perHead ? config.headDim() : kvDim) : null);
    }

    private static Sparse sparse(Checkpoint checkpoint, ModelConfig config, String p) {
        int hidden = config.hiddenSize();
        MoeLayout layout = config.layout();
        String block = layout.family() == ModelFamily.MIXTRAL ? p + "block_sparse_moe." : p + "mlp.";
        WeightMatrix router = checkpoint.matrix(block + "gate.weight", config.numExperts(), hidden);
        if (layout.sharedIntermediateSize() == 0) {
            return new Sparse(router, null, null);
        }
        String shared = layout.family() == ModelFamily.DEEPSEEK_MOE ? "shared_experts." : "shared_expert.";
        return new Sparse(router,
                mlp(checkpoint, block + shared, layout.sharedIntermediateSize(), hidden),
                layout.sharedExpertGated() ? checkpoint.matrix(block + "shared_expert_gate.weight", 1, hidden) : null);
    }

    private static Mlp mlp(Checkpoint checkpoint, String p, int width, int hidden) {
        return new Mlp(
                checkpoint.matrix(p + "gate_proj.weight", width, hidden),
                checkpoint.matrix(p + "up_proj.weight", width, hidden),
                checkpoint.matrix(p + "down_proj.weight", hidden, width));
    }
}
