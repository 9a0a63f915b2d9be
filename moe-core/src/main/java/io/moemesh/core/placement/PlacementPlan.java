package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The controller's output: {@code hosted.get(s)} are the units expert service s hosts (its own
 * expert of every layer plus any partners), {@code replicas.get(s)} its replica target.
 */
public record PlacementPlan(List<SortedSet<Unit>> hosted, List<Integer> replicas) {

    public PlacementPlan {
        if (hosted.size() != replicas.size()) {
            throw new IllegalArgumentException(hosted.size() + " services but " + replicas.size() + " replica targets");
        }
        List<SortedSet<Unit>> copy = new ArrayList<>(hosted.size());
        for (SortedSet<Unit> units : hosted) {
            copy.add(Collections.unmodifiableSortedSet(new TreeSet<>(units)));
        }
        hosted = List.copyOf(copy);
        replicas = List.copyOf(replicas);
    }

    /** Freezes a working placement, sizing each service by the load the scorer predicts for it. */
    static PlacementPlan of(Hosting hosting, double[] loads, ClusterShape shape) {
        return new PlacementPlan(hosting.units(), replicaTargets(loads, shape.minReplicas(), shape.maxReplicas()));
    }

    /**
     * Replicas proportional to load: the busiest service gets {@code max}, the others
     * {@code ceil(max * load / maxLoad)}, never fewer than {@code min}. Rounding up means a service
     * is never sized below its share.
     */
    static List<Integer> replicaTargets(double[] loads, int min, int max) {
        double top = 0;
        for (double l : loads) {
            top = Math.max(top, l);
        }
        List<Integer> out = new ArrayList<>(loads.length);
        for (double l : loads) {
            int r = top == 0 ? min : (int) Math.ceil(max * l / top - 1e-9);
            out.add(Math.clamp(r, min, max));
        }
        return out;
    }

    public int totalUnits() {
        int n = 0;
        for (SortedSet<Unit> s : hosted) {
            n += s.size();
        }
        return n;
    }
}
