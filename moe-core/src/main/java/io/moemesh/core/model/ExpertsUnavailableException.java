package io.moemesh.core.model;

import java.util.Set;

/**
 * Thrown by an {@link ExpertDispatch} when no endpoint could serve some experts of a layer (all
 * replicas down or their breakers open). The dense part then routes those tokens to the next-best
 * available experts and retries the layer step.
 */
public final class ExpertsUnavailableException extends RuntimeException {

    private final int layer;
    private final Set<Integer> experts;

    public ExpertsUnavailableException(int layer, Set<Integer> experts, Throwable cause) {
        super("layer " + layer + ": no endpoint can serve experts " + experts, cause);
        this.layer = layer;
        this.experts = Set.copyOf(experts);
    }

    public int layer() {
        return layer;
    }

    public Set<Integer> experts() {
        return experts;
    }
}
