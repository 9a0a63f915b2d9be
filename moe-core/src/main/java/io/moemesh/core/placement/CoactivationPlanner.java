package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Greedy co-location: starting from one service per expert, repeatedly add the partner unit that
 * co-hosts the most not-yet-co-hosted pair mass, until the memory budget is spent or no addition
 * fits the per-service cap and the balance bound.
 *
 * <p>Adding (l, j) to service s co-hosts pair (s, j) at layer l and pairs (j, k) for every
 * partner (l, k) already on s. Every addition costs one unit, so "mass per unit of memory" is
 * the mass itself; mass is taken as a share of the layer's pair mass because the score averages
 * calls over layers. Ties go to the lowest (service, layer, expert), so the plan depends only on
 * the input.
 *
 * <p>Why it is incremental. Rebuilding every candidate and rescoring every load per addition is
 * O(L * E^3) a round, hopeless at DeepSeek-V3's 58 x 256 with thousands of additions. Candidates
 * are grouped by (service, layer); a lazy priority queue holds each group's best addition as last
 * computed. A group's gains rise only when a unit is added to that very group (which re-queues
 * it) and otherwise only fall (pairs become co-hosted elsewhere), so a queued value is never
 * below the truth: the head, once recomputed and unchanged, is the best addition overall, in the
 * same (gain, service, layer, expert) order as the full rebuild. Loads are kept by
 * {@link PlanWorkspace}, which rescores only the services an addition touches. The result is the
 * plan the full rebuild gives; {@code CoactivationPlannerEquivalenceTest} checks that.
 */
public final class CoactivationPlanner {

    /** Slack for comparing loads that went through different summation orders. */
    private static final double LOAD_EPS = 1e-9;

    /** A group's best addition when queued; {@code version} tells a stale entry from the live one. */
    private record Entry(double gain, int service, int layer, int expert, int version) {
    }

    private static final Comparator<Entry> BEST_FIRST = Comparator
            .comparingDouble(Entry::gain).reversed()
            .thenComparingInt(Entry::service)
            .thenComparingInt(Entry::layer)
            .thenComparingInt(Entry::expert);

    private CoactivationPlanner() {
    }

    public static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        checkShape(stats, shape);
        PlanWorkspace work = new PlanWorkspace(stats, Hosting.homes(shape.numLayers(), shape.numExperts()));
        double[] baseline = work.loads();
        // Moving a pair's work to one service conserves total work, so the mean is fixed and the
        // balance rule is a cap on the max: within the bound, or no worse than a baseline beyond it.
        double allowedMax = Math.max(shape.balanceBound() * mean(baseline), max(baseline)) + LOAD_EPS;
        new Greedy(work, shape, pairMassPerLayer(stats), allowedMax).run();
        return PlacementPlan.of(work.hosting(), PlanScorer.loads(work.hosting(), stats), shape);
    }

    /** One planning run: the queue of (service, layer) groups and what this round has refused. */
    private static final class Greedy {
        private final PlanWorkspace work;
        private final ClusterShape shape;
        private final double[] pairMass;
        private final double allowedMax;
        private final int[][] version;  // [service][layer]
        private final PriorityQueue<Entry> queue = new PriorityQueue<>(BEST_FIRST);
        private final Map<Integer, BitSet> refused = new HashMap<>(); // group -> experts, this round

        Greedy(PlanWorkspace work, ClusterShape shape, double[] pairMass, double allowedMax) {
            this.work = work;
            this.shape = shape;
            this.pairMass = pairMass;
            this.allowedMax = allowedMax;
            this.version = new int[shape.numExperts()][shape.numLayers()];
        }

        void run() {
            for (int s = 0; s < shape.numExperts(); s++) {
                for (int l = 0; l < shape.numLayers(); l++) {
                    push(best(s, l));
                }
            }
            for (int added = 0; added < shape.extraUnits(); added++) {
                if (!addBest()) {
                    break;
                }
            }
        }

        private boolean addBest() {
            Entry head;
            while ((head = queue.poll()) != null) {
                int s = head.service();
                int l = head.layer();
                if (head.version() != version[s][l] || work.hosting().unitCount(s) >= shape.perServiceUnitCap()) {
                    continue;
                }
                Entry now = best(s, l);
                if (now == null || now.gain() != head.gain() || now.expert() != head.expert()) {
                    push(now);
                    continue;
                }
                if (work.tryAdd(s, l, head.expert(), allowedMax)) {
                    // Refusals hold for one round only: the next starts from a changed placement.
                    int[] groups = refused.keySet().stream().mapToInt(Integer::intValue).toArray();
                    refused.clear();
                    push(best(s, l));
                    for (int group : groups) {
                        push(best(group / shape.numLayers(), group % shape.numLayers()));
                    }
                    return true;
                }
                refused.computeIfAbsent(s * shape.numLayers() + l, g -> new BitSet()).set(head.expert());
                push(best(s, l));
            }
            return false;
        }

        private void push(Entry e) {
            if (e != null) {
                queue.add(e);
            }
        }

        /** The group's best addition now, refused ones aside, under a new version; null if none gains. */
        private Entry best(int service, int layer) {
            int v = ++version[service][layer];
            if (pairMass[layer] == 0) {
                return null;
            }
            BitSet no = refused.get(service * shape.numLayers() + layer);
            double bestGain = 0;
            int bestExpert = -1;
            for (int j = 0; j < shape.numExperts(); j++) {
                if (work.hosting().hosts(service, layer, j) || no != null && no.get(j)) {
                    continue;
                }
                double gain = (double) work.newPairMass(service, layer, j) / pairMass[layer];
                if (gain > bestGain) {
                    bestGain = gain;
                    bestExpert = j;
                }
            }
            return bestExpert < 0 ? null : new Entry(bestGain, service, layer, bestExpert, v);
        }
    }

    static double[] pairMassPerLayer(RoutingStats stats) {
        double[] mass = new double[stats.numLayers()];
        for (int l = 0; l < mass.length; l++) {
            for (int i = 0; i < stats.numExperts(); i++) {
                for (int j = i + 1; j < stats.numExperts(); j++) {
                    mass[l] += stats.coactivation(l, i, j);
                }
            }
        }
        return mass;
    }

    static void checkShape(RoutingStats stats, ClusterShape shape) {
        if (stats.numLayers() != shape.numLayers() || stats.numExperts() != shape.numExperts()) {
            throw new IllegalArgumentException("routing stats cover " + stats.numLayers() + " layers x "
                    + stats.numExperts() + " experts but the cluster shape is " + shape.numLayers()
                    + " x " + shape.numExperts());
        }
    }

    static double max(double[] xs) {
        double m = 0;
        for (double x : xs) {
            m = Math.max(m, x);
        }
        return m;
    }

    static double mean(double[] xs) {
        double sum = 0;
        for (double x : xs) {
            sum += x;
        }
        return sum / xs.length;
    }
}
