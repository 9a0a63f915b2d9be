package io.moemesh.core.model;

import io.moemesh.core.gate.GateDecision;

/** Sees every routing decision of a forward step: for tracing, {@code moe routes} and routing statistics. */
@FunctionalInterface
public interface RoutingObserver {

    RoutingObserver NONE = (layer, token, decision) -> { };

    /** {@code token} is the index within the {@link TokenBatch}. */
    void onRoute(int layer, int token, GateDecision decision);
}
