package io.moemesh.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The released models' {@code config.json} of every supported family, as their Hugging Face repositories ship them. */
class ModelFamilyConfigTest {

    /** Qwen/Qwen1.5-MoE-A2.7B. */
    static final String QWEN15_MOE = """
            {"architectures": ["Qwen2MoeForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
             "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
             "intermediate_size": 5632, "max_position_embeddings": 8192, "max_window_layers": 21,
             "model_type": "qwen2_moe", "num_attention_heads": 16, "num_hidden_layers": 24, "num_key_value_heads": 16,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936,
             "decoder_sparse_step": 1, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
             "num_experts_per_tok": 4, "num_experts": 60, "norm_topk_prob": false, "output_router_logits": false,
             "router_aux_loss_coef": 0.001}
            """;

    /** Qwen/Qwen3-30B-A3B. */
    static final String QWEN3_MOE = """
            {"architectures": ["Qwen3MoeForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 151643, "decoder_sparse_step": 1, "eos_token_id": 151645, "head_dim": 128,
             "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 6144,
             "max_position_embeddings": 40960, "max_window_layers": 48, "mlp_only_layers": [],
             "model_type": "qwen3_moe", "moe_intermediate_size": 768, "norm_topk_prob": true,
             "num_attention_heads": 32, "num_experts": 128, "num_experts_per_tok": 8, "num_hidden_layers": 48,
             "num_key_value_heads": 4, "output_router_logits": false, "rms_norm_eps": 1e-06, "rope_scaling": null,
             "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001, "sliding_window": null,
             "tie_word_embeddings": false, "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false,
             "vocab_size": 151936}
            """;

    /** allenai/OLMoE-1B-7B-0924. */
    static final String OLMOE = """
            {"architectures": ["OlmoeForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "clip_qkv": null, "eos_token_id": 50279, "hidden_act": "silu", "hidden_size": 2048,
             "initializer_range": 0.02, "intermediate_size": 1024, "max_position_embeddings": 4096,
             "model_type": "olmoe", "norm_topk_prob": false, "num_attention_heads": 16, "num_experts": 64,
             "num_experts_per_tok": 8, "num_hidden_layers": 16, "num_key_value_heads": 16,
             "output_router_logits": false, "pad_token_id": 1, "rms_norm_eps": 1e-05, "rope_scaling": null,
             "rope_theta": 10000.0, "router_aux_loss_coef": 0.01, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 50304}
            """;

    /** deepseek-ai/deepseek-moe-16b-base. */
    static final String DEEPSEEK_MOE_16B = """
            {"architectures": ["DeepseekForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekConfig",
                          "AutoModel": "modeling_deepseek.DeepseekModel",
                          "AutoModelForCausalLM": "modeling_deepseek.DeepseekForCausalLM"},
             "aux_loss_alpha": 0.001, "bos_token_id": 100000, "eos_token_id": 100001, "first_k_dense_replace": 1,
             "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 10944,
             "max_position_embeddings": 4096, "model_type": "deepseek", "moe_intermediate_size": 1408,
             "moe_layer_freq": 1, "n_routed_experts": 64, "n_shared_experts": 2, "norm_topk_prob": false,
             "num_attention_heads": 16, "num_experts_per_tok": 6, "num_hidden_layers": 28,
             "num_key_value_heads": 16, "pretraining_tp": 1, "rms_norm_eps": 1e-06, "rope_scaling": null,
             "rope_theta": 10000, "scoring_func": "softmax", "seq_aux": true, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 102400}
            """;

    @Test
    void qwen15MoeHasAGatedSharedExpertQkvBiasAndNoRenormalisation() {
        ModelConfig c = ModelConfig.parse(QWEN15_MOE, "config.json");

        assertThat(c.family()).isEqualTo(ModelFamily.QWEN2_MOE);
        assertThat(c.numExperts()).isEqualTo(60);
        assertThat(c.expertsPerToken()).isEqualTo(4);
        assertThat(c.intermediateSize()).as("routed expert width").isEqualTo(1408);
        assertThat(c.numMoeLayers()).isEqualTo(24);
        MoeLayout layout = c.layout();
        assertThat(layout.sharedIntermediateSize()).isEqualTo(5632);
        assertThat(layout.sharedExpertGated()).isTrue();
        assertThat(layout.normTopKProb()).isFalse();
        assertThat(layout.qkvBias()).isTrue();
        assertThat(layout.outputBias()).isFalse();
        assertThat(layout.qkNorm()).isEqualTo(MoeLayout.QkNorm.NONE);
    }

    @Test
    void qwenSparseStepAndMlpOnlyLayersMakeDenseLayers() {
        String config = QWEN15_MOE.replace("\"decoder_sparse_step\": 1", "\"decoder_sparse_step\": 2, \"mlp_only_layers\": [3]");

        ModelConfig c = ModelConfig.parse(config, "config.json");

        // (i + 1) % 2 == 0 → 1, 3, 5, ..., 23; 3 is MLP-only.
        assertThat(c.layout().moeLayers()).startsWith(1, 5, 7).endsWith(23).hasSize(11);
        assertThat(c.layout().moeLayerOf(3)).isEqualTo(-1);
        assertThat(c.layout().moeLayerOf(5)).isEqualTo(1);
        assertThat(c.layout().decoderLayer(1)).isEqualTo(5);
        assertThat(c.layout().denseIntermediateSize()).isEqualTo(5632);
    }

    @Test
    void qwen3MoeNormsEachHeadAndHasItsOwnHeadDim() {
        ModelConfig c = ModelConfig.parse(QWEN3_MOE, "config.json");

        assertThat(c.family()).isEqualTo(ModelFamily.QWEN3_MOE);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.queryDim()).as("32 heads × 128 ≠ hidden 2048").isEqualTo(4096);
        assertThat(c.kvDim()).isEqualTo(512);
        assertThat(c.numExperts()).isEqualTo(128);
        assertThat(c.expertsPerToken()).isEqualTo(8);
        assertThat(c.intermediateSize()).isEqualTo(768);
        assertThat(c.layout().qkNorm()).isEqualTo(MoeLayout.QkNorm.PER_HEAD);
        assertThat(c.layout().normTopKProb()).isTrue();
        assertThat(c.layout().sharedIntermediateSize()).isZero();
        assertThat(c.layout().qkvBias()).isFalse();
        assertThat(c.eosTokenId()).hasValue(151645);
    }

    @Test
    void olmoeNormsTheWholeProjectionsAndDoesNotRenormalise() {
        ModelConfig c = ModelConfig.parse(OLMOE, "config.json");

        assertThat(c.family()).isEqualTo(ModelFamily.OLMOE);
        assertThat(c.numExperts()).isEqualTo(64);
        assertThat(c.expertsPerToken()).isEqualTo(8);
        assertThat(c.intermediateSize()).isEqualTo(1024);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.layout().qkNorm()).isEqualTo(MoeLayout.QkNorm.WHOLE);
        assertThat(c.layout().normTopKProb()).isFalse();
        assertThat(c.layout().clipQkv()).isZero();
        assertThat(c.bosTokenId()).isEmpty();
        assertThat(ModelConfig.parse(OLMOE.replace("\"clip_qkv\": null", "\"clip_qkv\": 8.0"), "c").layout().clipQkv())
                .isEqualTo(8f);
    }

    @Test
    void deepseekMoe16bHasADenseFirstLayerAndUngatedSharedExperts() {
        ModelConfig c = ModelConfig.parse(DEEPSEEK_MOE_16B, "config.json");

        assertThat(c.family()).isEqualTo(ModelFamily.DEEPSEEK_MOE);
        assertThat(c.numLayers()).isEqualTo(28);
        assertThat(c.numMoeLayers()).isEqualTo(27);
        assertThat(c.layout().decoderLayer(0)).isEqualTo(1);
        assertThat(c.layout().moeLayerOf(0)).isEqualTo(-1);
        assertThat(c.layout().denseIntermediateSize()).isEqualTo(10944);
        assertThat(c.numExperts()).isEqualTo(64);
        assertThat(c.expertsPerToken()).isEqualTo(6);
        assertThat(c.intermediateSize()).isEqualTo(1408);
        assertThat(c.layout().sharedIntermediateSize()).as("2 shared experts × 1408").isEqualTo(2816);
        assertThat(c.layout().sharedExpertGated()).isFalse();
        assertThat(c.layout().normTopKProb()).isFalse();
    }

    @Test
    void deepseekMoeLayerFrequencySkipsLayers() {
        String config = DEEPSEEK_MOE_16B.replace("\"moe_layer_freq\": 1", "\"moe_layer_freq\": 2");

        assertThat(ModelConfig.parse(config, "c").layout().moeLayers()).startsWith(2, 4, 6).hasSize(13);
    }

    @Test
    void unsupportedArchitecturesNameWhatWasFoundAndEveryFamily() {
        String v2 = DEEPSEEK_MOE_16B.replace("DeepseekForCausalLM", "DeepseekV2ForCausalLM")
                .replace("\"deepseek\"", "\"deepseek_v2\"");

        assertThatThrownBy(() -> ModelConfig.parse(v2, "dsv2/config.json"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("dsv2/config.json")
                .hasMessageContaining("DeepseekV2ForCausalLM")
                .hasMessageContaining("multi-head latent attention")
                .hasMessageContaining("MixtralForCausalLM").hasMessageContaining("Qwen2MoeForCausalLM")
                .hasMessageContaining("Qwen3MoeForCausalLM").hasMessageContaining("OlmoeForCausalLM")
                .hasMessageContaining("DeepseekForCausalLM");
    }

    @Test
    void refusesSettingsTheEngineDoesNotImplement() {
        assertThatThrownBy(() -> ModelConfig.parse(QWEN3_MOE.replace("\"rope_scaling\": null",
                "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}"), "c"))
                .hasMessageContaining("rope_scaling");
        assertThatThrownBy(() -> ModelConfig.parse(QWEN15_MOE.replace("\"use_sliding_window\": false",
                "\"use_sliding_window\": true"), "c"))
                .hasMessageContaining("use_sliding_window");
        assertThatThrownBy(() -> ModelConfig.parse(DEEPSEEK_MOE_16B.replace("\"scoring_func\": \"softmax\"",
                "\"scoring_func\": \"sigmoid\""), "c"))
                .hasMessageContaining("scoring_func");
        assertThatThrownBy(() -> ModelConfig.parse(QWEN15_MOE.replace("\"decoder_sparse_step\": 1",
                "\"decoder_sparse_step\": 1, \"mlp_only_layers\": [24]"), "c"))
                .hasMessageContaining("mlp_only_layers");
    }

    @Test
    void namesTheFamilysOwnMissingField() {
        assertThatThrownBy(() -> ModelConfig.parse(QWEN15_MOE.replace("\"moe_intermediate_size\": 1408,", ""), "q/config.json"))
                .hasMessageContaining("q/config.json").hasMessageContaining("'moe_intermediate_size'");
        assertThatThrownBy(() -> ModelConfig.parse(DEEPSEEK_MOE_16B.replace("\"n_routed_experts\": 64,", ""), "c"))
                .hasMessageContaining("'n_routed_experts'");
        assertThatThrownBy(() -> ModelConfig.parse(DEEPSEEK_MOE_16B.replace("\"n_shared_experts\": 2",
                "\"n_shared_experts\": 2000000"), "c"))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("too wide");
        assertThat(ModelConfig.parse(DEEPSEEK_MOE_16B.replace("\"n_shared_experts\": 2", "\"n_shared_experts\": null"),
                "c").layout().sharedIntermediateSize()).isZero();
    }
}
