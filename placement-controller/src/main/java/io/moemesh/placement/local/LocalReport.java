package io.moemesh.placement.local;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the local-mode step of a round (pruning and replicas) saw and did.
 *
 * @param pruned             experts every router prunes after the step (their every MoE layer's unit)
 * @param pruningDecision    the pruning policy's sentence, plus experts refused by the partner rule;
 *                           empty when pruning is off
 * @param reroutedShare      share of the window's routed token-slots the pruned set reroutes
 * @param qualityBudget      the most it may reroute
 * @param shares             per expert, its share of routed token-slots (empty when pruning is off)
 * @param replicas           per expert service, its live processes after the step
 * @param targets            per expert service, the process count the step converges to
 * @param maxExpertProcesses the process budget (0 = no replicas are started)
 * @param decision           what the step did, warnings included ("" when nothing)
 */
public record LocalReport(SortedSet<Integer> pruned, String pruningDecision, double reroutedShare,
        double qualityBudget, double[] shares, int[] replicas, int[] targets, int maxExpertProcesses,
        String decision) {

    public LocalReport {
        pruned = Collections.unmodifiableSortedSet(new TreeSet<>(pruned));
        shares = shares.clone();
        replicas = replicas.clone();
        targets = targets.clone();
    }

    /** A step that saw nothing and did nothing: it failed before it could read the processes. */
    public static LocalReport failed(String decision) {
        return new LocalReport(new TreeSet<>(), "", 0, 0, new double[0], new int[0], new int[0], 0, decision);
    }

    /** Live expert processes over all services. */
    public int expertProcesses() {
        int n = 0;
        for (int r : replicas) {
            n += r;
        }
        return n;
    }
}
