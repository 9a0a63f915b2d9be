package io.moemesh.core.config;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The MoE architectures moe-mesh serves, by the {@code architectures} and {@code model_type} values
 * their Hugging Face {@code config.json} carries. Each loads from its unchanged checkpoint layout.
 */
public enum ModelFamily {

    /** Mixtral (HF {@code MixtralForCausalLM}): every layer sparse, weights renormalised over the top-k. */
    MIXTRAL("MixtralForCausalLM", "mixtral"),
    /** Qwen1.5-MoE / Qwen2-MoE: q/k/v bias, a shared expert scaled by a sigmoid gate. */
    QWEN2_MOE("Qwen2MoeForCausalLM", "qwen2_moe"),
    /** Qwen3-MoE: per-head RMSNorm of q and k before RoPE, a {@code head_dim} of its own. */
    QWEN3_MOE("Qwen3MoeForCausalLM", "qwen3_moe"),
    /** OLMoE: RMSNorm over the whole q and k projections, optional {@code clip_qkv}. */
    OLMOE("OlmoeForCausalLM", "olmoe"),
    /** DeepSeek-MoE (the 16B layout): dense first layers, ungated shared experts. */
    DEEPSEEK_MOE("DeepseekForCausalLM", "deepseek");

    private final String architecture;
    private final String modelType;

    ModelFamily(String architecture, String modelType) {
        this.architecture = architecture;
        this.modelType = modelType;
    }

    /** The {@code architectures} entry of the family's {@code config.json}. */
    public String architecture() {
        return architecture;
    }

    /** The {@code model_type} of the family's {@code config.json}. */
    public String modelType() {
        return modelType;
    }

    static Optional<ModelFamily> byArchitecture(String architecture) {
        return Arrays.stream(values()).filter(f -> f.architecture.equals(architecture)).findFirst();
    }

    static Optional<ModelFamily> byModelType(String modelType) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(modelType)).findFirst();
    }

    /** "MixtralForCausalLM (mixtral), ...": what error messages offer instead of an unsupported value. */
    public static String supportedList() {
        return Arrays.stream(values()).map(f -> f.architecture + " (" + f.modelType + ")")
                .collect(Collectors.joining(", "));
    }
}
