package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.BitSet;

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
 * are grouped by (service, layer) ({@link CandidateGroup}); a {@link GroupQueue} holds each
 * group's best addition as last computed. A group's gains rise only when a unit is added to that
 * very group (which rebuilds it) and otherwise only fall, so a queued value is never below the
 * truth: the head, once recomputed and unchanged, is the best addition overall, in the same
 * (gain, service, layer, expert) order as the full rebuild.
 *
 * <p>Why refusals are cheap. Only the receiving service's load can rise ({@link PlanWorkspace}),
 * so a trial is one service's change at one layer, computed without touching the placement. The
 * balance rule refuses most high-gain additions at production shapes, so a refused addition is
 * set aside with the increase it would cause, and comes back only when it can fit: when its
 * service's load falls to within that increase of the limit, or when an addition at its layer
 * moves the copies, cover or pairs of its expert (then its increase is recomputed). An addition
 * that moves only the other experts of its service can only raise that increase (their uncovered
 * shares shrink, so less is saved), so the recorded value stays a valid lower bound. The result is
 * the plan the full rebuild gives; {@code CoactivationPlannerEquivalenceTest} checks that.
 */
public final class CoactivationPlanner {

    /** Slack for comparing loads that went through different summation orders. */
    private static final double LOAD_EPS = 1e-9;

    /** Relative distance beyond the load limit within which a refused addition is tried again. */
    private static final double RECHECK = 1e-9;

    private CoactivationPlanner() {
    }

    /**
     * Plans from pairs for top-1 and top-2; for top-k > 2 with expert sets in the statistics,
     * from those ({@link ExpertSetPlanner}), since pairs do not decide a token's calls there.
     * Top-k > 2 without expert sets (an older router) falls back to the pair greedy.
     */
    public static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        checkShape(stats, shape);
        if (stats.topK() > 2 && stats.hasExpertSets()) {
            return ExpertSetPlanner.plan(stats, shape);
        }
        PlanWorkspace work = new PlanWorkspace(stats, Hosting.homes(shape.numLayers(), shape.numExperts()));
        double[] baseline = work.loads();
        // Moving a pair's work to one service conserves total work, so the mean is fixed and the
        // balance rule is a cap on the max: within the bound, or no worse than a baseline beyond it.
        double allowedMax = Math.max(shape.balanceBound() * mean(baseline), max(baseline)) + LOAD_EPS;
        new Greedy(work, shape, pairMassPerLayer(stats), allowedMax).run();
        return PlacementPlan.of(work.hosting(), PlanScorer.loads(work.hosting(), stats), shape);
    }

    /** One planning run: the queue of groups, their candidates and their standing refusals. */
    private static final class Greedy {
        private final PlanWorkspace work;
        private final Hosting hosting;
        private final ClusterShape shape;
        private final double[] pairMass;
        private final double allowedMax;
        private final int layers;
        private final int experts;
        private final CandidateGroup[] groups; // [service * layers + layer], null where a layer has no pairs
        private final GroupQueue queue;
        private final BitSet dirty = new BitSet(); // groups whose refusals were released

        Greedy(PlanWorkspace work, ClusterShape shape, double[] pairMass, double allowedMax) {
            this.work = work;
            this.hosting = work.hosting();
            this.shape = shape;
            this.pairMass = pairMass;
            this.allowedMax = allowedMax;
            this.layers = shape.numLayers();
            this.experts = shape.numExperts();
            this.groups = new CandidateGroup[experts * layers];
            this.queue = new GroupQueue(experts * layers);
        }

        void run() {
            for (int s = 0; s < experts; s++) {
                for (int l = 0; l < layers; l++) {
                    if (pairMass[l] > 0) {
                        groups[s * layers + l] = new CandidateGroup(experts);
                        queueFirstScan(s, l);
                    }
                }
            }
            for (int added = 0; added < shape.extraUnits(); added++) {
                if (!addBest()) {
                    break;
                }
            }
        }

        private boolean addBest() {
            while (!queue.isEmpty()) {
                int g = queue.peek();
                int s = g / layers;
                int l = g % layers;
                int x = queue.expert(g);
                if (capped(s)) {
                    close(s);
                    continue;
                }
                if (gain(work.newPairMass(s, l, x), l) != queue.gain(g)) {
                    refresh(g);
                    continue;
                }
                double increase = work.increase(s, l, x);
                if (work.fits(s, l, x, increase, allowedMax)) {
                    commit(s, l, x);
                    return true;
                }
                CandidateGroup group = groups[g];
                if (group.built()) {
                    group.pop(); // x is its top: the queue's key is the verified top
                }
                group.refuse(x, increase);
                refresh(g);
            }
            return false;
        }

        private void commit(int s, int l, int x) {
            int[] touched = work.add(s, l, x);
            int g = s * layers + l;
            groups[g].clear(); // its gains rose and its refusals' increases moved: start over
            refresh(g);
            if (capped(s)) {
                close(s);
            }
            recheckMovedExperts(s, l);
            for (int t : touched) {
                if (t != s) {
                    releaseFitting(t);
                }
            }
            for (int d = dirty.nextSetBit(0); d >= 0; d = dirty.nextSetBit(d + 1)) {
                refresh(d);
            }
            dirty.clear();
        }

        /**
         * The addition moved, at layer l, the copies and cover of the new unit and the pairs and
         * cover of the experts beside it on s: every refusal of one of those experts at l gets its
         * increase recomputed. Refusals of other experts keep theirs, a lower bound (see the class
         * comment); their services' loads fell, which {@link #releaseFitting} handles.
         */
        private void recheckMovedExperts(int s, int l) {
            int[] moved = hosting.expertsOn(s, l);
            for (int v = 0; v < experts; v++) {
                CandidateGroup group = groups[v * layers + l];
                if (v == s || group.refusedCount() == 0 || capped(v)) {
                    continue;
                }
                double room = room(v);
                for (int e : moved) {
                    if (group.isRefused(e)) {
                        double increase = work.increase(v, l, e);
                        if (increase <= room) {
                            release(v * layers + l, e);
                        } else {
                            group.refuse(e, increase);
                        }
                    }
                }
            }
        }

        /** The service's load fell: release the refusals whose increase now fits its room. */
        private void releaseFitting(int v) {
            if (capped(v)) {
                return;
            }
            double room = room(v);
            for (int l = 0; l < layers; l++) {
                CandidateGroup group = groups[v * layers + l];
                if (group == null || group.refusedCount() == 0 || group.least() > room) {
                    continue;
                }
                double least = Double.POSITIVE_INFINITY;
                for (int e = 0; e < experts; e++) {
                    if (!group.isRefused(e)) {
                        continue;
                    }
                    if (group.need(e) <= room) {
                        release(v * layers + l, e);
                    } else {
                        least = Math.min(least, group.need(e));
                    }
                }
                group.setLeast(least);
            }
        }

        /** What the service may still take, with {@link #RECHECK} slack so that rounding never hides a fit. */
        private double room(int service) {
            return allowedMax + RECHECK * allowedMax - work.load(service);
        }

        private void release(int g, int e) {
            CandidateGroup group = groups[g];
            group.release(e);
            long mass = work.newPairMass(g / layers, g % layers, e);
            if (group.built() && mass > 0) {
                group.push(mass, e);
            }
            dirty.set(g);
        }

        private boolean capped(int service) {
            return hosting.unitCount(service) >= shape.perServiceUnitCap();
        }

        private void close(int service) {
            for (int l = 0; l < layers; l++) {
                queue.remove(service * layers + l);
            }
        }

        /**
         * Re-keys the group by its best candidate that could fit, gain verified, or takes the
         * group off the queue if none could. A candidate whose increase exceeds the service's room
         * is refused here, before it reaches the queue: a refusal only says "does not fit now",
         * which is true wherever it is found, and the queue then holds no group that cannot add.
         * (Trying only candidates that would lead the queue, and queueing the rest untried, was
         * measured slower: Qwen3-235B-A22B's plan ends with every service's candidates refused,
         * and the round trips through the queue cost more than the early trials.)
         */
        private void refresh(int g) {
            int s = g / layers;
            int l = g % layers;
            CandidateGroup group = groups[g];
            if (capped(s)) {
                queue.remove(g);
                return;
            }
            if (!group.built()) {
                build(g);
            }
            double room = room(s);
            while (!group.isEmpty()) {
                int x = group.topExpert();
                long now = work.newPairMass(s, l, x);
                if (now != group.topMass()) {
                    group.pop();
                    if (now > 0) {
                        group.push(now, x);
                    }
                    continue;
                }
                double increase = work.increase(s, l, x);
                if (increase > room) {
                    group.pop();
                    group.refuse(x, increase);
                    continue;
                }
                queue.set(g, gain(now, l), x);
                return;
            }
            queue.remove(g);
        }

        private void build(int g) {
            int s = g / layers;
            int l = g % layers;
            CandidateGroup group = groups[g];
            group.startBuild();
            for (int x = 0; x < experts; x++) {
                if (!hosting.hosts(s, l, x) && !group.isRefused(x)) {
                    long mass = work.newPairMass(s, l, x);
                    if (mass > 0) {
                        group.append(mass, x);
                    }
                }
            }
            group.heapify();
        }

        /** Queues the group's best addition without building its heap: most groups never need one. */
        private void queueFirstScan(int s, int l) {
            long best = 0;
            int bestExpert = -1;
            for (int x = 0; x < experts; x++) {
                if (!hosting.hosts(s, l, x)) {
                    long mass = work.newPairMass(s, l, x);
                    if (mass > best) {
                        best = mass;
                        bestExpert = x;
                    }
                }
            }
            if (bestExpert >= 0) {
                queue.set(s * layers + l, gain(best, l), bestExpert);
            }
        }

        private double gain(long mass, int layer) {
            return (double) mass / pairMass[layer];
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
        if (stats.hasExpertSets()) {
            if (stats.expertSets().length != stats.numLayers()) {
                throw new IllegalArgumentException("routing stats list expert sets for " + stats.expertSets().length
                        + " layers but cover " + stats.numLayers());
            }
            for (var sets : stats.expertSets()) {
                for (int[] set : sets.sets()) {
                    for (int e : set) {
                        if (e < 0 || e >= stats.numExperts()) {
                            throw new IllegalArgumentException("an expert set names expert " + e + " of a model with "
                                    + stats.numExperts() + " experts");
                        }
                    }
                }
            }
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
