package io.moemesh.core.model;

import io.moemesh.core.gate.GateDecision;

/** Sees every routing decision of a forward step: for tracing, {@code moe routes} and routing statistics. */
@FunctionalInterface
public interface RoutingObserver {

    RoutingObserver NONE = (layer, token, decision) -> { };

    /** {@code token} is the index within the {@link TokenBatch}. */
    void onRoute(int layer, int token, GateDecision decision);

    /**
     * Called instead of {@link #onRoute} for a token whose route the {@link PrunedExperts} mask changed:
     * {@code served} is where it went, {@code wanted} where the gate would have sent it without the
     * pruning mask (experts that are unavailable stay masked in both). By default it reports {@code served}
     * as {@link #onRoute} does; routing statistics record {@code wanted} instead, so demand for a pruned
     * expert stays visible and a pruning policy can restore it.
     */
    default void onPrunedRoute(int layer, int token, GateDecision served, GateDecision wanted) {
        onRoute(layer, token, served);
    }

    /**
     * The gate would have chosen {@code expert} for {@code token} but no endpoint could serve it,
     * so the token went to the next-best available expert: the result is degraded.
     */
    default void onSkip(int layer, int token, int expert) {
    }

    /**
     * The gate would have chosen {@code expert} for {@code token} but it is pruned by plan
     * ({@link PrunedExperts}), so the token went to the next-best expert. Planned, so not degraded.
     */
    default void onPrune(int layer, int token, int expert) {
    }
}
