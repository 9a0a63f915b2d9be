package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Decides which whole experts (expert services) to scale to zero from one window of measured
 * routing, and which pruned ones to bring back. Pure and deterministic: the same window, top-k,
 * pruned set and settings give the same plan.
 *
 * <p>An expert's <b>share</b> is {@code Σ_l wanted[l][e] / Σ_l Σ_e' wanted[l][e']}, its part of the
 * window's routed token-slots over all MoE layers (uniform routing gives 1/E). The counts are what
 * the gate chose <em>before</em> any pruning mask, so a pruned expert's demand stays visible. A token
 * whose gate picks a pruned expert is served by its next-best expert instead, so the pruned set's
 * summed share is the share of token-slots whose output changes: the quality cost the budget caps.
 *
 * <p>One plan, in order:
 * <ol>
 *   <li>A window of fewer than {@link PruningSettings#minWindowSlots()} slots, or of none, changes nothing.</li>
 *   <li>Restore: a pruned expert whose share is above {@code restoreFactor × threshold / E} comes back.
 *       If the remaining pruned set reroutes more than the budget (traffic changed), or is larger than
 *       the cap below, the highest-share pruned experts (ties: lower index) come back until it fits.
 *       A pruned expert between the cold and the restore threshold stays pruned (hysteresis).</li>
 *   <li>Prune: experts below {@code threshold / E} (cold), in ascending share (ties: lower index),
 *       are pruned while the pruned set's share stays within {@link PruningSettings#qualityBudget()};
 *       the cold ones that do not fit are {@link PruningPlan#refusedByBudget()}. At most
 *       {@code min(maxPruned, E - topK)} experts are pruned, so the gate always has k experts left.
 *       An expert restored by this plan is not pruned again by it.</li>
 * </ol>
 * Planning again on the same window with the result as {@code prunedNow} changes nothing.
 */
public final class PruningPolicy {

    private PruningPolicy() {
    }

    /**
     * Plans the pruned set for one window.
     *
     * @param wanted    {@code wanted[moeLayer][expert]} = token-slots whose gate chose the expert over
     *                  the window, without any pruning mask
     * @param topK      experts each token is routed to; at least this many are never pruned
     * @param prunedNow the experts pruned now (the level this plan starts from)
     * @param settings  thresholds, budget and limits
     */
    public static PruningPlan plan(long[][] wanted, int topK, SortedSet<Integer> prunedNow, PruningSettings settings) {
        long[] slots = expertSlots(wanted);
        int experts = slots.length;
        checkArguments(topK, prunedNow, experts, settings);
        long total = 0;
        for (long s : slots) {
            total = Math.addExact(total, s);
        }
        double[] shares = new double[experts];
        for (int e = 0; e < experts && total > 0; e++) {
            shares[e] = (double) slots[e] / total;
        }
        if (total == 0 || total < settings.minWindowSlots()) {
            long kept = prunedNow.stream().mapToLong(e -> slots[e]).sum();
            double rerouted = total == 0 ? 0 : (double) kept / total;
            return new PruningPlan(prunedNow, new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), rerouted, shares,
                    PruningDecision.tooThin(total, settings.minWindowSlots(), prunedNow));
        }
        int cap = Math.max(0, Math.min(settings.maxPrunedFor(experts), experts - topK));
        Pass pass = new Pass(slots, total, shares, settings, cap, prunedNow);
        pass.restore();
        pass.prune();
        return pass.result();
    }

    /**
     * {@link #plan(long[][], int, SortedSet, PruningSettings)} on a router's statistics window: its
     * {@code expertTokens} are the gate's choices before the mask. {@code topK} is the model's k
     * (the window cannot say it when it is empty).
     */
    public static PruningPlan plan(RoutingStats stats, int topK, SortedSet<Integer> prunedNow, PruningSettings settings) {
        return plan(stats.expertTokens(), topK, prunedNow, settings);
    }

    /** Σ over layers per expert, after checking the array is a non-empty rectangle of counts. */
    private static long[] expertSlots(long[][] wanted) {
        if (wanted == null || wanted.length == 0 || wanted[0] == null || wanted[0].length == 0) {
            throw new IllegalArgumentException("routing window needs at least one MoE layer and one expert");
        }
        long[] slots = new long[wanted[0].length];
        for (int l = 0; l < wanted.length; l++) {
            if (wanted[l] == null || wanted[l].length != slots.length) {
                throw new IllegalArgumentException("MoE layer " + l + " has " + (wanted[l] == null ? 0 : wanted[l].length)
                        + " expert counts, layer 0 has " + slots.length);
            }
            for (int e = 0; e < slots.length; e++) {
                if (wanted[l][e] < 0) {
                    throw new IllegalArgumentException("negative token-slot count " + wanted[l][e]
                            + " for MoE layer " + l + " expert " + e);
                }
                slots[e] = Math.addExact(slots[e], wanted[l][e]);
            }
        }
        return slots;
    }

    private static void checkArguments(int topK, SortedSet<Integer> prunedNow, int experts, PruningSettings settings) {
        if (topK < 1 || topK > experts) {
            throw new IllegalArgumentException("top-k must be in [1, " + experts + "] for " + experts
                    + " experts, got " + topK);
        }
        if (settings == null || prunedNow == null) {
            throw new IllegalArgumentException("pruning needs settings and the currently pruned set (empty for none)");
        }
        for (Integer e : prunedNow) {
            if (e == null || e < 0 || e >= experts) {
                throw new IllegalArgumentException("pruned expert " + e + " is not in [0, " + experts + ")");
            }
        }
    }

    /** One plan's working state: the pruned set as it is restored from and added to. */
    private static final class Pass {
        private final long[] slots;
        private final long total;
        private final double[] shares;
        private final PruningSettings settings;
        private final int cap;
        private final TreeSet<Integer> pruned;
        private long prunedSlots;
        private final PruningDecision decision;

        Pass(long[] slots, long total, double[] shares, PruningSettings settings, int cap, SortedSet<Integer> prunedNow) {
            this.slots = slots;
            this.total = total;
            this.shares = shares;
            this.settings = settings;
            this.cap = cap;
            this.pruned = new TreeSet<>(prunedNow);
            this.prunedSlots = prunedNow.stream().mapToLong(e -> slots[e]).sum();
            double cold = settings.threshold() / slots.length;
            this.decision = new PruningDecision(cold, settings.restoreFactor() * cold, settings.qualityBudget(), cap);
        }

        void restore() {
            for (int e : List.copyOf(pruned)) {
                if (shares[e] > decision.restoreLimit()) {
                    unprune(e);
                    decision.restoredAbove().add(e);
                }
            }
            decision.reroutedBeforeBudget((double) prunedSlots / total);
            Comparator<Integer> costliestFirst = Comparator.<Integer>comparingLong(e -> slots[e]).reversed()
                    .thenComparing(Comparator.naturalOrder());
            for (int e : pruned.stream().sorted(costliestFirst).toList()) {
                if (fitsBudget(0) && pruned.size() <= cap) {
                    break;
                }
                (fitsBudget(0) ? decision.restoredForCap() : decision.restoredForBudget()).add(e);
                unprune(e);
            }
        }

        void prune() {
            Comparator<Integer> cheapestFirst = Comparator.<Integer>comparingLong(e -> slots[e])
                    .thenComparing(Comparator.naturalOrder());
            List<Integer> cold = IntStream.range(0, slots.length).boxed()
                    .filter(e -> shares[e] < decision.coldLimit() && !pruned.contains(e) && !decision.restored(e))
                    .sorted(cheapestFirst).toList();
            for (int e : cold) {
                if (!fitsBudget(slots[e])) {
                    decision.refusedByBudget().add(e);
                } else if (pruned.size() >= cap) {
                    decision.overCap().add(e);
                } else {
                    pruned.add(e);
                    prunedSlots += slots[e];
                    decision.added().add(e);
                }
            }
            decision.anyCold(IntStream.range(0, slots.length).anyMatch(e -> shares[e] < decision.coldLimit()));
        }

        /** Whether the pruned set plus {@code more} slots stays within the budget; exact in the slot counts. */
        private boolean fitsBudget(long more) {
            return prunedSlots + more <= settings.qualityBudget() * total;
        }

        private void unprune(int e) {
            pruned.remove(e);
            prunedSlots -= slots[e];
        }

        PruningPlan result() {
            double rerouted = (double) prunedSlots / total;
            return new PruningPlan(pruned, decision.added(), decision.allRestored(), decision.refusedByBudget(),
                    rerouted, shares, decision.sentence(pruned, rerouted));
        }
    }
}
