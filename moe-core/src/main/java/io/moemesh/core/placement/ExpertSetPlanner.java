package io.moemesh.core.placement;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Greedy co-location for top-k > 2 from expert sets: starting from one service per expert,
 * repeatedly add the partner unit that saves the most calls per token, until the memory budget is
 * spent or no addition fits the per-service cap and the balance bound. {@link CoactivationPlanner}
 * hands a plan here when k > 2 and the statistics list expert sets; for k <= 2 its pair greedy
 * stays as it was (for k = 2 a set's cover is 1 exactly when its pair is co-hosted, so both greedy
 * targets agree).
 *
 * <p>Gain. Adding (l, j) to service s changes only the hosts of (l, j), so only listed sets of
 * layer l that contain j can change their cover; the gain is {@code sum over those sets of
 * count * (cover before - cover after)} over the layer's listed tokens, the drop in the layer's
 * calls per token as {@link PlanScorer} counts them. A trial adds the unit, re-covers those sets ({@link GreedyCover}, as the scorer does) and
 * takes it back, so gains and load changes are exact.
 *
 * <p>Why it is fast enough. Gains are kept in a lazy max-heap: the top is re-tried and taken only
 * if its recomputed gain still leads, otherwise re-queued with it. Initial gains need no trial:
 * with homes only, adding j to the home of i lowers by one the cover of every set holding both,
 * so the initial gain is the listed mass of the pair. After an addition of (l, j) to s, the units
 * that may now save more on s (the other experts of j's sets at l) are re-tried and queued.
 * Greedy cover is not submodular, so a gain can also rise on another service; such a rise is seen
 * only when the candidate is next re-tried. The plan is a heuristic, as the pair greedy is; the
 * bound ({@link CallBound}) says how far from the best it can be.
 *
 * <p>Balance. Loads follow {@link ExpertSetScoring#loads}; an addition must keep every service
 * whose load it raises within the limit. A refused addition waits on the service it would
 * overload and is queued again when that service's load has fallen by what it lacked.
 */
final class ExpertSetPlanner {

    private static final double LOAD_EPS = 1e-9;

    private final RoutingStats stats;
    private final ClusterShape shape;
    private final Hosting hosting;
    private final int layers;
    private final int experts;
    private final int[][][] containing; // [layer][expert] -> listed sets holding it
    private final int[][] cover;        // [layer][set] current calls
    private final int[][][] assigned;   // [layer][set][member] -> service
    private final double[][] rest;      // [layer][expert] tokens no listed set accounts for
    private final double[] perToken;    // [layer] 1 / listed tokens, 0 without any
    private final double[] load;
    private final double allowedMax;
    private final GreedyCover greedy;
    private final CandidateHeap heap = new CandidateHeap();
    private final double[] queued;      // [key] gain of the candidate's newest heap entry, NaN if none
    private final List<List<Refusal>> refused; // [service whose limit the addition would break]
    // trial scratch
    private final double[] delta;
    private final int[] touched;
    private int touchedCount;
    private final int[] to;
    private final int[] stamp;
    private int round;
    private final int[] touchedStamp;
    private int trialRound;

    private ExpertSetPlanner(RoutingStats stats, ClusterShape shape) {
        this.stats = stats;
        this.shape = shape;
        this.layers = shape.numLayers();
        this.experts = shape.numExperts();
        this.hosting = Hosting.homes(layers, experts);
        this.containing = new int[layers][experts][];
        this.cover = new int[layers][];
        this.assigned = new int[layers][][];
        this.rest = new double[layers][experts];
        this.perToken = new double[layers];
        this.greedy = new GreedyCover(experts, ExpertSetScoring.maxK(stats));
        this.delta = new double[experts];
        this.touched = new int[experts];
        this.to = new int[ExpertSetScoring.maxK(stats)];
        this.stamp = new int[experts];
        this.touchedStamp = new int[experts];
        this.queued = new double[Math.toIntExact((long) experts * layers * experts)];
        Arrays.fill(queued, Double.NaN);
        this.refused = new ArrayList<>(experts);
        for (int s = 0; s < experts; s++) {
            refused.add(new ArrayList<>());
        }
        for (int l = 0; l < layers; l++) {
            index(l);
        }
        this.load = ExpertSetScoring.loads(hosting, stats);
        this.allowedMax = Math.max(shape.balanceBound() * CoactivationPlanner.mean(load),
                CoactivationPlanner.max(load)) + LOAD_EPS;
    }

    static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        ExpertSetPlanner p = new ExpertSetPlanner(stats, shape);
        p.queuePairs();
        p.run();
        return PlacementPlan.of(p.hosting, ExpertSetScoring.loads(p.hosting, stats), shape);
    }

    private void index(int l) {
        ExpertSets sets = stats.expertSets()[l];
        int n = sets.size();
        int[] per = new int[experts];
        for (int[] set : sets.sets()) {
            for (int e : set) {
                per[e]++;
            }
        }
        for (int e = 0; e < experts; e++) {
            containing[l][e] = new int[per[e]];
            per[e] = 0;
            rest[l][e] = stats.expertTokens()[l][e];
        }
        cover[l] = new int[n];
        assigned[l] = new int[n][];
        int layer = l;
        for (int i = 0; i < n; i++) {
            int[] set = sets.sets()[i];
            assigned[l][i] = new int[set.length];
            cover[l][i] = greedy.cover(set, e -> hosting.hostsOf(layer, e), assigned[l][i]);
            for (int e : set) {
                containing[l][e][per[e]++] = i;
                rest[l][e] -= sets.counts()[i];
            }
        }
        for (int e = 0; e < experts; e++) {
            rest[l][e] = Math.max(0, rest[l][e]);
        }
        long listed = sets.listedTokens();
        perToken[l] = listed == 0 ? 0 : 1.0 / listed;
    }

    /** Initial gains without trials: the listed mass of each pair (i, j), for j on i's home. */
    private void queuePairs() {
        for (int l = 0; l < layers; l++) {
            ExpertSets sets = stats.expertSets()[l];
            double[] mass = new double[experts * experts];
            for (int i = 0; i < sets.size(); i++) {
                int[] set = sets.sets()[i];
                for (int a : set) {
                    for (int b : set) {
                        if (a != b) {
                            mass[a * experts + b] += sets.counts()[i];
                        }
                    }
                }
            }
            for (int s = 0; s < experts; s++) {
                for (int x = 0; x < experts; x++) {
                    if (mass[s * experts + x] > 0) {
                        queue(mass[s * experts + x] * perToken[l], key(s, l, x));
                    }
                }
            }
        }
    }

    private void run() {
        int added = 0;
        while (added < shape.extraUnits() && !heap.isEmpty()) {
            double top = heap.topGain();
            long key = heap.pop();
            if (top != queued[(int) key]) {
                continue; // an older entry of a candidate queued again since
            }
            queued[(int) key] = Double.NaN;
            int s = (int) (key / ((long) layers * experts));
            int l = (int) (key / experts % layers);
            int x = (int) (key % experts);
            if (hosting.hosts(s, l, x) || hosting.unitCount(s) >= shape.perServiceUnitCap()) {
                continue;
            }
            double gain = gain(s, l, x);
            if (gain <= 0) {
                continue;
            }
            if (gain < top && !heap.isEmpty() && gain < heap.topGain()) {
                queue(gain, key);
                continue;
            }
            trial(s, l, x);
            int over = overLimit();
            if (over >= 0) {
                refused.get(over).add(new Refusal(gain, key, allowedMax - delta[over]));
                continue;
            }
            commit(s, l, x);
            added++;
        }
    }

    /**
     * The calls per token adding (l, x) to s saves: {@link #trial}'s value, re-covering only the
     * sets of x at l in which s already hosts another expert. In the others s would cover x alone,
     * and a greedy cover that takes a one-expert service has only one-expert services left, so its
     * count does not change (which service serves x may, which only {@link #trial} needs).
     */
    private double gain(int s, int l, int x) {
        int[] old = hosting.hostsOf(l, x);
        int[] hosts = Arrays.copyOf(old, old.length + 1);
        hosts[old.length] = s;
        IntFunction<int[]> hostsOf = e -> e == x ? hosts : hosting.hostsOf(l, e);
        ExpertSets sets = stats.expertSets()[l];
        double saved = 0;
        for (int i : containing[l][x]) {
            int[] set = sets.sets()[i];
            if (cover[l][i] > 1 && hostsAnother(s, l, set, x)) {
                saved += (double) sets.counts()[i] * (cover[l][i] - greedy.cover(set, hostsOf, null));
            }
        }
        return saved * perToken[l];
    }

    private boolean hostsAnother(int s, int l, int[] set, int x) {
        for (int e : set) {
            if (e != x && hosting.hosts(s, l, e)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds (l, x) to s, re-covers the sets of x at l, takes the unit back; returns the calls per
     * token saved and leaves each service's load change in {@link #delta} (services in {@link #touched}).
     */
    private double trial(int s, int l, int x) {
        clearDelta();
        int[] old = hosting.hostsOf(l, x);
        int[] hosts = Arrays.copyOf(old, old.length + 1); // s last, as Hosting.add would put it
        hosts[old.length] = s;
        IntFunction<int[]> hostsOf = e -> e == x ? hosts : hosting.hostsOf(l, e);
        ExpertSets sets = stats.expertSets()[l];
        double saved = 0;
        for (int i : containing[l][x]) {
            int[] set = sets.sets()[i];
            int calls = greedy.cover(set, hostsOf, to);
            long c = sets.counts()[i];
            saved += (double) c * (cover[l][i] - calls);
            for (int a = 0; a < set.length; a++) {
                move(assigned[l][i][a], -c);
                move(to[a], c);
            }
        }
        double before = rest[l][x] / old.length;
        double after = rest[l][x] / hosts.length;
        for (int h : hosts) {
            move(h, h == s ? after : after - before);
        }
        return saved * perToken[l];
    }

    /** A service the trial's addition would take past the limit, or -1 if it fits. */
    private int overLimit() {
        for (int t = 0; t < touchedCount; t++) {
            int v = touched[t];
            if (delta[v] > 0 && load[v] + delta[v] > allowedMax) {
                return v;
            }
        }
        return -1;
    }

    /**
     * An addition that would take {@code service}'s load past the limit, queued again once that
     * load is at most {@code fitsBelow}. Other changes may have moved its delta by then; the
     * re-trial decides.
     */
    private record Refusal(double gain, long key, double fitsBelow) {
    }

    private void commit(int s, int l, int x) {
        hosting.add(s, l, x);
        ExpertSets sets = stats.expertSets()[l];
        for (int i : containing[l][x]) {
            cover[l][i] = greedy.cover(sets.sets()[i], e -> hosting.hostsOf(l, e), assigned[l][i]);
        }
        for (int t = 0; t < touchedCount; t++) {
            int v = touched[t];
            load[v] += delta[v];
            if (delta[v] < 0 && !refused.get(v).isEmpty()) {
                List<Refusal> waiting = refused.get(v);
                waiting.removeIf(r -> {
                    boolean now = load[v] <= r.fitsBelow();
                    if (now) {
                        queue(r.gain(), r.key());
                    }
                    return now;
                });
            }
        }
        if (hosting.unitCount(s) >= shape.perServiceUnitCap()) {
            return;
        }
        round++;
        for (int i : containing[l][x]) {
            if (cover[l][i] == 1) {
                continue; // nothing left to save on this set
            }
            for (int y : sets.sets()[i]) {
                if (stamp[y] != round && !hosting.hosts(s, l, y)) {
                    stamp[y] = round;
                    double gain = gain(s, l, y);
                    if (gain > 0) {
                        queue(gain, key(s, l, y));
                    }
                }
            }
        }
    }

    /** Queues the candidate with this gain; an entry queued before for it is skipped when popped. */
    private void queue(double gain, long key) {
        if (gain != queued[(int) key]) {
            queued[(int) key] = gain;
            heap.push(gain, key);
        }
    }

    private void clearDelta() {
        for (int t = 0; t < touchedCount; t++) {
            delta[touched[t]] = 0;
        }
        touchedCount = 0;
        trialRound++;
    }

    private void move(int service, double amount) {
        if (touchedStamp[service] != trialRound) {
            touchedStamp[service] = trialRound;
            touched[touchedCount++] = service;
        }
        delta[service] += amount;
    }

    private long key(int s, int l, int x) {
        return ((long) s * layers + l) * experts + x;
    }
}
