package io.moemesh.client;

/**
 * An expert no endpoint could serve for some tokens of a request; those tokens were routed to the
 * next-best expert by gate score instead, and the result is marked degraded.
 *
 * @param layer  MoE layer index
 * @param expert expert index within the layer
 * @param tokens how many token-steps were rerouted away from it
 */
public record SkippedExpert(int layer, int expert, int tokens) {
}
