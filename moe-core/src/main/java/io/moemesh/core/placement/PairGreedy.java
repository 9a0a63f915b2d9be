package io.moemesh.core.placement;

import java.util.BitSet;

/**
 * One run of {@link CoactivationPlanner}'s pair greedy: the queue of (service, layer) groups, their
 * candidates and their standing refusals, over a {@link PlanWorkspace} that it changes in place.
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
final class PairGreedy {

    /** Relative distance beyond the load limit within which a refused addition is tried again. */
    private static final double RECHECK = 1e-9;

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

    PairGreedy(PlanWorkspace work, ClusterShape shape, double[] pairMass, double allowedMax) {
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
