package io.moemesh.core.config;

import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import tools.jackson.databind.JsonNode;

/**
 * Reads and checks the fields of one {@code config.json} of a supported {@link ModelFamily}, with the
 * keys and defaults of that family's transformers config class; every error names the file and the field.
 */
final class ConfigReader {

    private final JsonNode root;
    private final String source;

    ConfigReader(JsonNode root, String source) {
        this.root = root;
        this.source = source;
    }

    ModelConfig read() {
        ModelFamily family = family();
        rejectUnsupportedFeatures();
        int hidden = positiveInt("hidden_size");
        int heads = positiveInt("num_attention_heads");
        boolean explicitHeadDim = root.hasNonNull("head_dim") && family != ModelFamily.OLMOE;
        int headDim = explicitHeadDim ? positiveInt("head_dim") : hidden / heads;
        if (!explicitHeadDim && hidden % heads != 0) {
            throw error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        int layers = positiveInt("num_hidden_layers");
        try {
            return new ModelConfig(
                    hidden,
                    positiveInt(family == ModelFamily.MIXTRAL || family == ModelFamily.OLMOE
                            ? "intermediate_size" : "moe_intermediate_size"),
                    layers,
                    heads,
                    root.hasNonNull("num_key_value_heads") ? positiveInt("num_key_value_heads") : heads,
                    headDim,
                    positiveInt(switch (family) {
                        case MIXTRAL -> "num_local_experts";
                        case DEEPSEEK_MOE -> "n_routed_experts";
                        default -> "num_experts";
                    }),
                    positiveInt("num_experts_per_tok"),
                    positiveFloat("rms_norm_eps"),
                    positiveNumber("rope_theta"),
                    positiveInt("vocab_size"),
                    positiveInt("max_position_embeddings"),
                    bool("tie_word_embeddings", false),
                    optionalTokenId("bos_token_id"),
                    optionalTokenId("eos_token_id"),
                    layout(family, layers));
        } catch (ModelConfigException e) {
            throw e.getMessage().startsWith(source) ? e : error(e.getMessage());
        }
    }

    private MoeLayout layout(ModelFamily family, int layers) {
        return switch (family) {
            case MIXTRAL -> MoeLayout.mixtral(layers);
            case QWEN2_MOE -> {
                int[] sparse = qwenSparseLayers(layers);
                yield new MoeLayout(family, sparse, denseWidth(sparse, layers),
                        positiveInt("shared_expert_intermediate_size"), true, bool("norm_topk_prob", false),
                        bool("qkv_bias", true), false, MoeLayout.QkNorm.NONE, 0f);
            }
            case QWEN3_MOE -> {
                int[] sparse = qwenSparseLayers(layers);
                boolean bias = bool("attention_bias", false);
                yield new MoeLayout(family, sparse, denseWidth(sparse, layers), 0, false,
                        bool("norm_topk_prob", false), bias, bias, MoeLayout.QkNorm.PER_HEAD, 0f);
            }
            case OLMOE -> new MoeLayout(family, MoeLayout.mixtral(layers).moeLayers(), 0, 0, false,
                    bool("norm_topk_prob", false), bool("attention_bias", false), bool("attention_bias", false),
                    MoeLayout.QkNorm.WHOLE, root.hasNonNull("clip_qkv") ? positiveFloat("clip_qkv") : 0f);
            case DEEPSEEK_MOE -> {
                int[] sparse = deepseekSparseLayers(layers);
                int shared = 0;
                JsonNode sharedExperts = root.get("n_shared_experts");
                if (sharedExperts != null && !sharedExperts.isNull()
                        && !(sharedExperts.isIntegralNumber() && sharedExperts.intValue() == 0)) {
                    long width = (long) positiveInt("n_shared_experts") * positiveInt("moe_intermediate_size");
                    if (width > Integer.MAX_VALUE) {
                        throw error("n_shared_experts × moe_intermediate_size = " + width + " is too wide");
                    }
                    shared = (int) width;
                }
                yield new MoeLayout(family, sparse, denseWidth(sparse, layers), shared, false,
                        bool("norm_topk_prob", false), bool("attention_bias", false), bool("attention_bias", false),
                        MoeLayout.QkNorm.NONE, 0f);
            }
        };
    }

    /** Qwen2/3-MoE: layer i is sparse unless listed in {@code mlp_only_layers}, and only every {@code decoder_sparse_step}-th. */
    private int[] qwenSparseLayers(int layers) {
        int step = root.hasNonNull("decoder_sparse_step") ? positiveInt("decoder_sparse_step") : 1;
        Set<Integer> mlpOnly = new HashSet<>();
        JsonNode listed = root.get("mlp_only_layers");
        if (listed != null && !listed.isNull()) {
            if (!listed.isArray()) {
                throw error("field 'mlp_only_layers' must be a list of layer indices, got " + listed);
            }
            for (JsonNode l : listed) {
                if (!l.isIntegralNumber() || !l.canConvertToInt() || l.intValue() < 0 || l.intValue() >= layers) {
                    throw error("field 'mlp_only_layers' holds " + l + ", not a layer index below " + layers);
                }
                mlpOnly.add(l.intValue());
            }
        }
        return sparse(layers, i -> !mlpOnly.contains(i) && (i + 1) % step == 0,
                "decoder_sparse_step " + step + " and mlp_only_layers " + mlpOnly);
    }

    /** DeepSeek-MoE: layer i is sparse iff {@code i >= first_k_dense_replace} and {@code i % moe_layer_freq == 0}. */
    private int[] deepseekSparseLayers(int layers) {
        int firstSparse = root.hasNonNull("first_k_dense_replace") ? nonNegativeInt("first_k_dense_replace") : 0;
        int frequency = root.hasNonNull("moe_layer_freq") ? positiveInt("moe_layer_freq") : 1;
        return sparse(layers, i -> i >= firstSparse && i % frequency == 0,
                "first_k_dense_replace " + firstSparse + " and moe_layer_freq " + frequency);
    }

    private int[] sparse(int layers, IntPredicate isSparse, String rule) {
        int[] sparse = IntStream.range(0, layers).filter(isSparse).toArray();
        if (sparse.length == 0) {
            throw error("no layer of " + layers + " is an MoE layer under " + rule);
        }
        return sparse;
    }

    /** The dense MLP width, required only when some layer is dense. */
    private int denseWidth(int[] sparse, int layers) {
        return sparse.length == layers && !root.hasNonNull("intermediate_size") ? 0 : positiveInt("intermediate_size");
    }

    private ModelFamily family() {
        JsonNode architectures = root.get("architectures");
        // Jackson 3's asString() throws on an array or object: check the node type first.
        JsonNode type = root.path("model_type");
        String modelType = type.isString() ? type.stringValue()
                : type.isMissingNode() || type.isNull() ? "" : type.toString();
        if (architectures != null && architectures.isArray()) {
            for (JsonNode a : architectures) {
                if (a.isString()) {
                    Optional<ModelFamily> family = ModelFamily.byArchitecture(a.stringValue());
                    if (family.isPresent()) {
                        return family.get();
                    }
                }
            }
            throw error("unsupported architectures " + architectures + " (model_type '" + modelType
                    + "')" + hint(modelType) + "; moe-mesh serves " + ModelFamily.supportedList());
        }
        return ModelFamily.byModelType(modelType).orElseThrow(() -> error("unsupported model_type '" + modelType
                + "'" + hint(modelType) + "; moe-mesh serves " + ModelFamily.supportedList()));
    }

    private static String hint(String modelType) {
        return modelType.startsWith("deepseek_v")
                ? " (DeepSeek-V2/V3 use multi-head latent attention, which moe-mesh does not implement)" : "";
    }

    /** Settings that change the math in ways the engine does not implement: refuse rather than compute wrong logits. */
    private void rejectUnsupportedFeatures() {
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            throw error("rope_scaling " + scaling + " is not supported (only plain RoPE with rope_theta)");
        }
        JsonNode sliding = root.get("use_sliding_window");
        if (sliding != null && sliding.isBoolean() && sliding.booleanValue()) {
            throw error("use_sliding_window true is not supported (attention spans the whole context)");
        }
        JsonNode act = root.get("hidden_act");
        if (act != null && !act.isNull() && !(act.isString() && act.stringValue().equals("silu"))) {
            throw error("hidden_act " + act + " is not supported (experts are SwiGLU with silu)");
        }
        JsonNode scoring = root.get("scoring_func");
        if (scoring != null && !scoring.isNull() && !(scoring.isString() && scoring.stringValue().equals("softmax"))) {
            throw error("scoring_func " + scoring + " is not supported (the gate is a softmax)");
        }
    }

    private JsonNode required(String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw error("missing required field '" + field + "'");
        }
        return node;
    }

    private int positiveInt(String field) {
        JsonNode node = required(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() <= 0) {
            throw error("field '" + field + "' must be a positive integer, got " + node);
        }
        return node.intValue();
    }

    private double positiveNumber(String field) {
        JsonNode node = required(field);
        if (!node.isNumber() || !(node.doubleValue() > 0) || Double.isInfinite(node.doubleValue())) {
            throw error("field '" + field + "' must be a positive finite number, got " + node);
        }
        return node.doubleValue();
    }

    /** Positive after narrowing too: 1e-50 is a positive double but float 0, and an epsilon of 0 divides by 0. */
    private float positiveFloat(String field) {
        float value = (float) positiveNumber(field);
        if (!(value > 0) || Float.isInfinite(value)) {
            throw error("field '" + field + "' must be a positive number a float can hold, got " + root.get(field));
        }
        return value;
    }

    private int nonNegativeInt(String field) {
        JsonNode node = required(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
            throw error("field '" + field + "' must be a non-negative integer, got " + node);
        }
        return node.intValue();
    }

    /** {@code absent}: the family's transformers config default when the field is missing or null. */
    private boolean bool(String field, boolean absent) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.isBoolean()) {
            throw error("field '" + field + "' must be true or false, got " + node);
        }
        return node.booleanValue();
    }

    /** Token ids may be an int or, in newer configs, a list; the first entry is used. */
    private OptionalInt optionalTokenId(String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return OptionalInt.empty();
        }
        JsonNode id = node.isArray() && !node.isEmpty() ? node.get(0) : node;
        if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
            throw error("field '" + field + "' must be a token id, got " + node);
        }
        return OptionalInt.of(id.intValue());
    }

    private ModelConfigException error(String message) {
        return new ModelConfigException(source + ": " + message);
    }
}
