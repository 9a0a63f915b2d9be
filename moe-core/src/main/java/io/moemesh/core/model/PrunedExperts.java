package io.moemesh.core.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * Planned pruning: the units (MoE-layer ordinal, expert) the gate must not choose because the placement
 * controller scaled their expert to zero. The gate masks them exactly like unavailable experts (a token
 * goes to the next-best expert by gate score, renormalised when the model renormalises), but the step
 * reports them through {@link RoutingObserver#onPrune}, not {@link RoutingObserver#onSkip}: the routing
 * is planned, not degraded. Immutable, so a forward step reads one consistent set.
 */
public final class PrunedExperts {

    /** Nothing pruned: the gate's choice is served as it is. */
    public static final PrunedExperts NONE = new PrunedExperts(0, 0, new boolean[0][], List.of());

    /** One pruned unit; ordered by layer, then expert. */
    public record Unit(int layer, int expert) implements Comparable<Unit> {

        @Override
        public int compareTo(Unit o) {
            return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(expert, o.expert);
        }

        @Override
        public String toString() {
            return "MoE layer " + layer + " expert " + expert;
        }
    }

    private final int numMoeLayers;
    private final int numExperts;
    private final boolean[][] masks; // [layer][expert], null rows for layers with nothing pruned
    private final List<Unit> units;

    private PrunedExperts(int numMoeLayers, int numExperts, boolean[][] masks, List<Unit> units) {
        this.numMoeLayers = numMoeLayers;
        this.numExperts = numExperts;
        this.masks = masks;
        this.units = units;
    }

    /**
     * The set {@code units} of a model with {@code numMoeLayers} MoE layers of {@code numExperts} experts;
     * duplicates count once.
     *
     * @throws IllegalArgumentException naming the first unit outside the model
     */
    public static PrunedExperts of(int numMoeLayers, int numExperts, Collection<Unit> units) {
        if (units.isEmpty()) {
            return NONE;
        }
        boolean[][] masks = new boolean[numMoeLayers][];
        TreeSet<Unit> sorted = new TreeSet<>();
        for (Unit u : units) {
            if (u.layer() < 0 || u.layer() >= numMoeLayers || u.expert() < 0 || u.expert() >= numExperts) {
                throw new IllegalArgumentException("pruned unit (layer " + u.layer() + ", expert " + u.expert()
                        + ") is outside the model: layers are MoE-layer ordinals 0.." + (numMoeLayers - 1)
                        + " and experts 0.." + (numExperts - 1));
            }
            if (masks[u.layer()] == null) {
                masks[u.layer()] = new boolean[numExperts];
            }
            masks[u.layer()][u.expert()] = true;
            sorted.add(u);
        }
        return new PrunedExperts(numMoeLayers, numExperts, masks, Collections.unmodifiableList(new ArrayList<>(sorted)));
    }

    public boolean isEmpty() {
        return units.isEmpty();
    }

    /** The pruned units, sorted by layer, then expert. */
    public List<Unit> units() {
        return units;
    }

    public boolean isPruned(int layer, int expert) {
        return layer < masks.length && masks[layer] != null && masks[layer][expert];
    }

    /**
     * Checks that every MoE layer keeps at least {@code topK} experts, so the gate can still choose a
     * full top-k (fewer would change the model more than pruning means to).
     *
     * @throws IllegalArgumentException naming the layer that would keep too few
     */
    public void requireServable(int topK) {
        for (int l = 0; l < masks.length; l++) {
            int left = numExperts - count(masks[l]);
            if (left < topK) {
                throw new IllegalArgumentException("pruning " + count(masks[l]) + " of the " + numExperts
                        + " experts of MoE layer " + l + " leaves " + left + ", fewer than the " + topK
                        + " experts each token is routed to; prune at most " + (numExperts - topK) + " per layer");
            }
        }
    }

    /** Whether this set was made for a model of this shape ({@link #NONE} fits every model). */
    boolean fits(int moeLayers, int experts) {
        return isEmpty() || (numMoeLayers == moeLayers && numExperts == experts);
    }

    /** {@code mask[e]} is true for a pruned expert; {@code null} when nothing is pruned at {@code layer}. */
    boolean[] mask(int layer) {
        return layer < masks.length ? masks[layer] : null;
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (int e = 0; mask != null && e < mask.length; e++) {
            n += mask[e] ? 1 : 0;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PrunedExperts p && units.equals(p.units) && (isEmpty()
                || (numMoeLayers == p.numMoeLayers && numExperts == p.numExperts));
    }

    @Override
    public int hashCode() {
        return units.hashCode();
    }

    @Override
    public String toString() {
        return units.isEmpty() ? "nothing pruned" : "pruned " + units;
    }
}
