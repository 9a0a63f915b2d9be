package io.moemesh.client;

/**
 * A model the deployment serves.
 *
 * @param name            the name to pass as {@link GenerateOptions#model()}
 * @param numLayers       transformer layers
 * @param numExperts      experts per MoE layer
 * @param expertsPerToken experts each token is routed to (top-k)
 * @param hiddenSize      width of the residual stream
 * @param vocabSize       tokenizer vocabulary size; token ids are in {@code [0, vocabSize)}
 * @param maxContext      most tokens (prompt plus generated) one sequence may hold
 * @param architecture    the {@code config.json} architecture, e.g. {@code Qwen3MoeForCausalLM}; empty from an older router
 * @param numMoeLayers    how many of the layers route tokens to experts (the rest are dense)
 */
public record ModelInfo(
        String name, int numLayers, int numExperts, int expertsPerToken, int hiddenSize, int vocabSize,
        int maxContext, String architecture, int numMoeLayers) {
}
