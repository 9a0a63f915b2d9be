package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What one {@link PruningPolicy} pass did and why, collected as it goes and told as one sentence
 * for {@code moe plan}, e.g. "pruned 3, 9 (0.80% of routed token-slots, budget 2.0%); expert 12 is
 * cold but would exceed the budget".
 */
final class PruningDecision {

    private final double coldLimit;
    private final double restoreLimit;
    private final double budget;
    private final int cap;
    private final SortedSet<Integer> restoredAbove = new TreeSet<>();
    private final SortedSet<Integer> restoredForBudget = new TreeSet<>();
    private final SortedSet<Integer> restoredForCap = new TreeSet<>();
    private final SortedSet<Integer> added = new TreeSet<>();
    private final SortedSet<Integer> refusedByBudget = new TreeSet<>();
    private final SortedSet<Integer> overCap = new TreeSet<>();
    private double reroutedBeforeBudget;
    private boolean anyCold;

    PruningDecision(double coldLimit, double restoreLimit, double budget, int cap) {
        this.coldLimit = coldLimit;
        this.restoreLimit = restoreLimit;
        this.budget = budget;
        this.cap = cap;
    }

    static String tooThin(long total, long minWindowSlots, SortedSet<Integer> prunedNow) {
        String why = total == 0 ? "window has no routed token-slots"
                : "window of " + total + " routed token-slots is below the " + minWindowSlots + " needed to judge";
        return why + "; nothing changed (" + (prunedNow.isEmpty() ? "nothing pruned" : "pruned " + list(prunedNow)) + ")";
    }

    double coldLimit() {
        return coldLimit;
    }

    double restoreLimit() {
        return restoreLimit;
    }

    SortedSet<Integer> restoredAbove() {
        return restoredAbove;
    }

    SortedSet<Integer> restoredForBudget() {
        return restoredForBudget;
    }

    SortedSet<Integer> restoredForCap() {
        return restoredForCap;
    }

    SortedSet<Integer> added() {
        return added;
    }

    SortedSet<Integer> refusedByBudget() {
        return refusedByBudget;
    }

    SortedSet<Integer> overCap() {
        return overCap;
    }

    void reroutedBeforeBudget(double share) {
        reroutedBeforeBudget = share;
    }

    void anyCold(boolean any) {
        anyCold = any;
    }

    boolean restored(int expert) {
        return restoredAbove.contains(expert) || restoredForBudget.contains(expert) || restoredForCap.contains(expert);
    }

    SortedSet<Integer> allRestored() {
        SortedSet<Integer> all = new TreeSet<>(restoredAbove);
        all.addAll(restoredForBudget);
        all.addAll(restoredForCap);
        return all;
    }

    String sentence(SortedSet<Integer> pruned, double rerouted) {
        List<String> parts = new ArrayList<>();
        if (!pruned.isEmpty()) {
            parts.add("pruned " + list(pruned) + " (" + percent(rerouted) + " of routed token-slots, budget "
                    + percent(budget) + ")");
        } else if (anyCold) {
            parts.add("nothing pruned (budget " + percent(budget) + ")");
        } else {
            parts.add("nothing pruned: no expert is below the cold threshold of " + percent(coldLimit)
                    + " of routed token-slots");
        }
        if (!added.isEmpty() && !added.equals(pruned)) {
            parts.add("newly pruned " + list(added));
        }
        if (!restoredAbove.isEmpty()) {
            parts.add("restored " + list(restoredAbove) + " (above the restore threshold of " + percent(restoreLimit) + ")");
        }
        if (!restoredForBudget.isEmpty()) {
            parts.add("restored " + list(restoredForBudget) + " (traffic changed: the pruned set rerouted "
                    + percent(reroutedBeforeBudget) + ", over the budget)");
        }
        if (!restoredForCap.isEmpty()) {
            parts.add("restored " + list(restoredForCap) + " (at most " + experts(cap) + " may be pruned)");
        }
        if (!refusedByBudget.isEmpty()) {
            parts.add(subject(refusedByBudget) + " cold but would exceed the budget");
        }
        if (!overCap.isEmpty()) {
            parts.add(subject(overCap) + " cold but at most " + experts(cap) + " may be pruned");
        }
        return String.join("; ", parts);
    }

    private static String experts(int n) {
        return n + (n == 1 ? " expert" : " experts");
    }

    private static String subject(SortedSet<Integer> experts) {
        return (experts.size() == 1 ? "expert " : "experts ") + list(experts) + (experts.size() == 1 ? " is" : " are");
    }

    private static String list(SortedSet<Integer> experts) {
        return experts.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** One decimal, two under 1% so that a budget of 0.5% or a share of 0.04% reads right. */
    private static String percent(double fraction) {
        double p = 100 * fraction;
        return String.format(Locale.ROOT, p > 0 && p < 1 ? "%.2f%%" : "%.1f%%", p);
    }
}
