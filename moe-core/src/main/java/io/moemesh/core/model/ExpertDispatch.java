package io.moemesh.core.model;

import io.moemesh.core.gate.GateDecision;

/**
 * The seam between the dense part of the model and the experts. The dense part asks: "at MoE layer
 * {@code layer}, for these tokens, the weighted sum of the outputs of these (expert, weight) pairs".
 * In process it is {@link LocalExperts}; in the distributed system the router answers it over gRPC.
 */
public interface ExpertDispatch {

    /**
     * For every token {@code t < tokens}: {@code out[t·H .. (t+1)·H) = Σ_j routes[t].weights[j] ·
     * FFN_{layer, routes[t].experts[j]}(hidden[t·H .. (t+1)·H))}, where {@code H} is the hidden size.
     * {@code out} is overwritten.
     */
    void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out);

    /**
     * Whether any endpoint can serve {@code expert} at {@code layer} right now. The gate routes
     * tokens only to available experts; an expert that fails during {@link #combine} is reported
     * with {@link ExpertsUnavailableException} instead.
     */
    default boolean isAvailable(int layer, int expert) {
        return true;
    }
}
