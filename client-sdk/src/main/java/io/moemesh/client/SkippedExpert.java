package io.moemesh.client;

/**
 * An expert some tokens of a request were routed away from, to the next-best expert by gate score: one no
 * endpoint could serve ({@link GenerationResult#skippedExperts()}, the result is marked degraded), or one
 * the placement controller pruned ({@link GenerationResult#prunedExperts()}, planned, not degraded).
 *
 * @param layer  MoE layer index
 * @param expert expert index within the layer
 * @param tokens how many token-steps were rerouted away from it
 */
public record SkippedExpert(int layer, int expert, int tokens) {
}
