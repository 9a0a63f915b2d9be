package io.moemesh.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shape of an MoE model, read from a Hugging Face {@code config.json} of one of the
 * {@link ModelFamily families}. {@code intermediateSize} and {@code numExperts} describe the routed
 * experts (a unit's FFN); what differs between families is in {@link #layout()}.
 */
public record ModelConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int numExperts,
        int expertsPerToken,
        float rmsNormEps,
        double ropeTheta,
        int vocabSize,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        OptionalInt bosTokenId,
        OptionalInt eosTokenId,
        MoeLayout layout) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A Mixtral-layout model: every layer sparse. */
    public ModelConfig(int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads, int headDim,
            int numExperts, int expertsPerToken, float rmsNormEps, double ropeTheta, int vocabSize,
            int maxPositionEmbeddings, boolean tieWordEmbeddings, OptionalInt bosTokenId, OptionalInt eosTokenId) {
        this(hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, numExperts, expertsPerToken,
                rmsNormEps, ropeTheta, vocabSize, maxPositionEmbeddings, tieWordEmbeddings, bosTokenId, eosTokenId,
                MoeLayout.mixtral(numLayers));
    }

    public ModelConfig {
        require(numHeads % numKvHeads == 0, "num_attention_heads (" + numHeads
                + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        require(expertsPerToken >= 1 && expertsPerToken <= numExperts, "num_experts_per_tok (" + expertsPerToken
                + ") must be between 1 and num_local_experts (" + numExperts + ")");
        require(headDim % 2 == 0, "head dimension " + headDim + " must be even for rotary embeddings");
        require((long) numHeads * headDim <= Integer.MAX_VALUE, "num_attention_heads (" + numHeads
                + ") × head dimension (" + headDim + ") is past the largest array Java can allocate");
        int[] moeLayers = layout.moeLayers();
        require(moeLayers[moeLayers.length - 1] < numLayers, "MoE layers " + Arrays.toString(moeLayers)
                + " must be below num_hidden_layers (" + numLayers + ")");
        require(moeLayers.length == numLayers || layout.denseIntermediateSize() > 0,
                "a model with dense layers needs intermediate_size for their MLP");
    }

    /** Reads {@code config.json} from a model directory (or the file itself). */
    public static ModelConfig load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ModelConfigException(file + ": cannot read model config: " + e.getMessage(), e);
        }
    }

    /** Parses config JSON; {@code source} names the file in error messages. */
    public static ModelConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new ModelConfigException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelConfigException(source + ": expected a JSON object");
        }
        return new ConfigReader(root, source).read();
    }

    public ModelFamily family() {
        return layout.family();
    }

    /** How many decoder layers are sparse; units (layer, expert) number their layer 0 .. this - 1. */
    public int numMoeLayers() {
        return layout.numMoeLayers();
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int queryDim() {
        return numHeads * headDim;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new ModelConfigException(message);
        }
    }
}
