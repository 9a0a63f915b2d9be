package io.moemesh.core.config;

import java.util.OptionalInt;
import tools.jackson.databind.JsonNode;

/** Reads and checks the fields of one {@code config.json}; every error names the file and the field. */
final class ConfigReader {

    private static final String ARCHITECTURE = "MixtralForCausalLM";
    private static final String MODEL_TYPE = "mixtral";

    private final JsonNode root;
    private final String source;

    ConfigReader(JsonNode root, String source) {
        this.root = root;
        this.source = source;
    }

    ModelConfig read() {
        checkArchitecture();
        int hidden = positiveInt("hidden_size");
        int heads = positiveInt("num_attention_heads");
        int headDim = root.hasNonNull("head_dim") ? positiveInt("head_dim") : hidden / heads;
        if (!root.hasNonNull("head_dim") && hidden % heads != 0) {
            throw error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        try {
            return new ModelConfig(
                    hidden,
                    positiveInt("intermediate_size"),
                    positiveInt("num_hidden_layers"),
                    heads,
                    positiveInt("num_key_value_heads"),
                    headDim,
                    positiveInt("num_local_experts"),
                    positiveInt("num_experts_per_tok"),
                    positiveFloat("rms_norm_eps"),
                    positiveNumber("rope_theta"),
                    positiveInt("vocab_size"),
                    positiveInt("max_position_embeddings"),
                    bool("tie_word_embeddings"),
                    optionalTokenId("bos_token_id"),
                    optionalTokenId("eos_token_id"));
        } catch (ModelConfigException e) {
            throw e.getMessage().startsWith(source) ? e : error(e.getMessage());
        }
    }

    private void checkArchitecture() {
        JsonNode architectures = root.get("architectures");
        // Jackson 3's asString() throws on an array or object: check the node type first.
        JsonNode type = root.path("model_type");
        String modelType = type.isString() ? type.stringValue()
                : type.isMissingNode() || type.isNull() ? "" : type.toString();
        if (architectures != null && architectures.isArray()) {
            for (JsonNode a : architectures) {
                if (a.isString() && ARCHITECTURE.equals(a.stringValue())) {
                    return;
                }
            }
            throw error("unsupported architectures " + architectures + " (model_type '" + modelType
                    + "'); moe-mesh serves " + ARCHITECTURE);
        }
        if (!MODEL_TYPE.equals(modelType)) {
            throw error("unsupported model_type '" + modelType + "'; moe-mesh serves '" + MODEL_TYPE + "' ("
                    + ARCHITECTURE + ")");
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

    private boolean bool(String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return false; // transformers' MixtralConfig default
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
