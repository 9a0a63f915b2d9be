package io.moemesh.core.placement;

import java.util.SortedSet;

/**
 * Turns replica targets into replica counts that fit a limit on processes, as {@code moe up} has on
 * one machine: a pruned service gets 0; every other service gets 1, and the processes left go one at
 * a time to the service with the highest load per replica ({@code load[s] / replicas[s]}, ties to the
 * lower index), never past {@code max(1, targets[s])}. A service with no load gets no extra replica.
 * Each extra replica thus goes where it cuts the busiest replica's load the most (the greedy that
 * minimises the largest load per replica).
 */
public final class ReplicaBudget {

    private ReplicaBudget() {
    }

    /**
     * Replica counts per expert service within {@code maxProcesses} in total. When the unpruned
     * services alone are more than {@code maxProcesses}, each still gets one (a service cannot run on
     * zero processes without being pruned), and the total is their number.
     *
     * @param load         each service's load (e.g. token-slots per window); any non-negative scale
     * @param targets      each service's replica target from the placement plan
     * @param pruned       services scaled to zero
     * @param maxProcesses the most expert-service processes to run in total
     */
    public static int[] allocate(double[] load, int[] targets, SortedSet<Integer> pruned, int maxProcesses) {
        check(load, targets, pruned, maxProcesses);
        int services = load.length;
        int[] replicas = new int[services];
        int used = 0;
        for (int s = 0; s < services; s++) {
            replicas[s] = pruned.contains(s) ? 0 : 1;
            used += replicas[s];
        }
        for (; used < maxProcesses; used++) {
            int next = busiestWithRoom(load, targets, replicas);
            if (next < 0) {
                break;
            }
            replicas[next]++;
        }
        return replicas;
    }

    /** The service that gains most from one more replica, or -1 when none may have one. */
    private static int busiestWithRoom(double[] load, int[] targets, int[] replicas) {
        int best = -1;
        for (int s = 0; s < load.length; s++) {
            boolean room = replicas[s] > 0 && load[s] > 0 && replicas[s] < Math.max(1, targets[s]);
            // load[s] / replicas[s] > load[best] / replicas[best], without rounding a quotient
            if (room && (best < 0 || load[s] * replicas[best] > load[best] * replicas[s])) {
                best = s;
            }
        }
        return best;
    }

    private static void check(double[] load, int[] targets, SortedSet<Integer> pruned, int maxProcesses) {
        if (load == null || targets == null || pruned == null || load.length != targets.length) {
            throw new IllegalArgumentException("need a load and a replica target per service (and a pruned set), got "
                    + (load == null ? "no" : load.length) + " loads and " + (targets == null ? "no" : targets.length)
                    + " targets");
        }
        for (int s = 0; s < load.length; s++) {
            if (!(load[s] >= 0) || Double.isInfinite(load[s])) {
                throw new IllegalArgumentException("load of service " + s + " must be finite and >= 0, got " + load[s]);
            }
        }
        for (Integer s : pruned) {
            if (s == null || s < 0 || s >= load.length) {
                throw new IllegalArgumentException("pruned service " + s + " is not in [0, " + load.length + ")");
            }
        }
        if (maxProcesses < 0) {
            throw new IllegalArgumentException("max processes must be >= 0, got " + maxProcesses);
        }
    }
}
