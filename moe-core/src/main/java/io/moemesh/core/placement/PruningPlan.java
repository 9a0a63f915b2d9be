package io.moemesh.core.placement;

import java.util.Arrays;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What {@link PruningPolicy} decided for one window.
 *
 * @param pruned          the experts (expert service indices) to keep scaled to zero after this plan,
 *                        the new level the router's mask and the replica targets should converge to
 * @param added           experts pruned by this plan that were serving before
 * @param restored        experts that were pruned and are restored by this plan
 * @param refusedByBudget cold experts left serving because pruning them too would reroute more than
 *                        the quality budget
 * @param reroutedShare   the share of the window's routed token-slots that {@link #pruned} reroutes
 *                        to next-best experts (sum of their {@link #shares})
 * @param shares          per expert, its share of the window's routed token-slots over all MoE
 *                        layers (sums to 1; all 0 for an empty window)
 * @param decision        one sentence saying what was decided and why, for {@code moe plan} and logs
 */
public record PruningPlan(SortedSet<Integer> pruned, SortedSet<Integer> added, SortedSet<Integer> restored,
        SortedSet<Integer> refusedByBudget, double reroutedShare, double[] shares, String decision) {

    public PruningPlan {
        pruned = frozen(pruned);
        added = frozen(added);
        restored = frozen(restored);
        refusedByBudget = frozen(refusedByBudget);
        shares = shares.clone();
    }

    private static SortedSet<Integer> frozen(SortedSet<Integer> set) {
        return Collections.unmodifiableSortedSet(new TreeSet<>(set));
    }

    /** True when the plan prunes or restores something, i.e. the controller has work to do. */
    public boolean changes() {
        return !added.isEmpty() || !restored.isEmpty();
    }

    /**
     * The router's mask for {@link #pruned}: every MoE layer's unit of each pruned expert, since a
     * pruned expert's whole service is scaled to zero.
     */
    public SortedSet<Unit> prunedUnits(int moeLayers) {
        SortedSet<Unit> units = new TreeSet<>();
        for (int e : pruned) {
            for (int l = 0; l < moeLayers; l++) {
                units.add(new Unit(l, e));
            }
        }
        return Collections.unmodifiableSortedSet(units);
    }

    @Override
    public double[] shares() {
        return shares.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PruningPlan p && pruned.equals(p.pruned) && added.equals(p.added)
                && restored.equals(p.restored) && refusedByBudget.equals(p.refusedByBudget)
                && Double.compare(reroutedShare, p.reroutedShare) == 0 && Arrays.equals(shares, p.shares)
                && decision.equals(p.decision);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * pruned.hashCode() + Arrays.hashCode(shares)) + decision.hashCode();
    }

    @Override
    public String toString() {
        return "PruningPlan[pruned=" + pruned + ", added=" + added + ", restored=" + restored
                + ", refusedByBudget=" + refusedByBudget + ", reroutedShare=" + reroutedShare
                + ", shares=" + Arrays.toString(shares) + ", decision=" + decision + "]";
    }
}
