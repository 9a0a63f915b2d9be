package io.moemesh.core.model;

import java.util.Arrays;

/**
 * Which experts of one MoE layer the gate may choose, as a mask ({@code true}: may choose). {@code null}
 * stands for every expert, so the common step, with every expert reachable and none pruned, costs no array.
 */
final class ExpertMasks {

    private ExpertMasks() {
    }

    /** The experts {@code experts} can reach at MoE layer {@code l}; {@code null} when that is every expert. */
    static boolean[] available(ExpertDispatch experts, int l, int numExperts) {
        boolean[] available = null;
        for (int e = 0; e < numExperts; e++) {
            if (!experts.isAvailable(l, e)) {
                if (available == null) {
                    available = new boolean[numExperts];
                    Arrays.fill(available, true);
                }
                available[e] = false;
            }
        }
        return available;
    }

    /** The experts the gate may choose: available and not pruned; {@code null} when that is every expert. */
    static boolean[] allowed(boolean[] available, boolean[] pruned) {
        if (pruned == null) {
            return available;
        }
        boolean[] allowed = new boolean[pruned.length];
        for (int e = 0; e < pruned.length; e++) {
            allowed[e] = !pruned[e] && (available == null || available[e]);
        }
        return allowed;
    }

    /**
     * {@code available} less the experts that {@code failure} names at MoE layer {@code l}.
     *
     * @throws ExpertsUnavailableException {@code failure} itself when it names another layer or no expert
     *                                     still available: nothing new to route around, so the caller gives
     *                                     up rather than loop
     */
    static boolean[] withoutFailed(boolean[] available, ExpertsUnavailableException failure, int l, int numExperts) {
        boolean[] next = available == null ? new boolean[numExperts] : available.clone();
        if (available == null) {
            Arrays.fill(next, true);
        }
        boolean removed = false;
        for (int expert : failure.experts()) {
            removed |= next[expert];
            next[expert] = false;
        }
        if (failure.layer() != l || !removed) {
            throw failure;
        }
        return next;
    }
}
