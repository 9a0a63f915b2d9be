package io.moemesh.core.model;

import io.moemesh.core.gate.GateDecision;

/** Sees every routing decision of a forward step: for tracing, {@code moe routes} and routing statistics. */
@FunctionalInterface
public interface RoutingObserver {

    RoutingObserver NONE = (layer, token, decision) -> { };

    /** {@code token} is the index within the {@link TokenBatch}. */
    void onRoute(int layer, int token, GateDecision decision);

    /**
     * The gate would have chosen {@code expert} for {@code token} but no endpoint could serve it,
     * so the token went to the next-best available expert: the result is degraded.
     */
    default void onSkip(int layer, int token, int expert) {
    }
}
