package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
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

    /** Relative distance from the load limit within which a standing refusal is tried again. */
    private static final double RECHECK = 1e-9;

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

    /** One expert a (service, layer) group could add, with its gain when computed. */
    private record Candidate(double gain, int expert) {
    }

    private static final Comparator<Candidate> CANDIDATE_FIRST = Comparator
            .comparingDouble(Candidate::gain).reversed()
            .thenComparingInt(Candidate::expert);

    /** A refused addition ({@code group * numExperts + expert}) and its over-limit service's excess. */
    private record Refusal(long key, long id, double excess, int[] experts) {
    }

    /** One planning run: the queue of (service, layer) groups and the refusals that still stand. */
    private static final class Greedy {
        private final PlanWorkspace work;
        private final ClusterShape shape;
        private final double[] pairMass;
        private final double allowedMax;
        private final int[][] version;  // [service][layer]
        private final PriorityQueue<Entry> queue = new PriorityQueue<>(BEST_FIRST);
        private final Map<Integer, BitSet> refused = new HashMap<>(); // group -> experts refused
        private final Map<Long, Long> refusalId = new HashMap<>(); // key -> id of the standing refusal
        private final PriorityQueue<Refusal>[] byService; // refusals by their over-limit service
        private final List<Refusal>[] byLayer;
        private long refusals;
        private final Map<Integer, PriorityQueue<Candidate>> heaps = new HashMap<>(); // by group
        private final BitSet scanned = new BitSet();

        @SuppressWarnings("unchecked")
        Greedy(PlanWorkspace work, ClusterShape shape, double[] pairMass, double allowedMax) {
            this.work = work;
            this.shape = shape;
            this.pairMass = pairMass;
            this.allowedMax = allowedMax;
            this.version = new int[shape.numExperts()][shape.numLayers()];
            this.byService = new PriorityQueue[shape.numExperts()];
            Arrays.setAll(byService, i -> new PriorityQueue<>(Comparator.comparingDouble(Refusal::excess)));
            this.byLayer = lists(shape.numLayers());
        }

        @SuppressWarnings("unchecked")
        private static List<Refusal>[] lists(int n) {
            List<Refusal>[] out = new List[n];
            Arrays.setAll(out, i -> new ArrayList<>());
            return out;
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
                    forgetRefusalsAffectedBy(s, l, work.lastTouched());
                    heaps.remove(s * shape.numLayers() + l); // its gains rose: rebuild
                    push(best(s, l));
                    return true;
                }
                remember(s, l, head.expert());
                push(best(s, l));
            }
            return false;
        }

        /**
         * A refusal stands while its first over-limit service v is still over. The trial changes
         * v's terms at its layer only, and that change depends only on the layer's state for the
         * trial's experts and v's: so until an addition at that layer moves one of those experts
         * (its copies, co-hosted pairs or cover), v's load with the trial is v's committed load
         * plus the same difference. A refusal is dropped (and retried for real) when such an
         * addition happens, or when v's load moves to within
         * {@link #RECHECK} of the limit less that difference: only rounding separates the estimate
         * from a full rescoring, so near the limit a real trial decides, as the full rebuild's would.
         */
        private void remember(int service, int layer, int expert) {
            int group = service * shape.numLayers() + layer;
            refused.computeIfAbsent(group, g -> new BitSet()).set(expert);
            long key = (long) group * shape.numExperts() + expert;
            long id = ++refusals;
            refusalId.put(key, id);
            int v = work.lastViolator(allowedMax);
            int violator = work.touchedService(v);
            byService[violator].add(new Refusal(key, id, work.lastExcess(v), null));
            int[] trial = work.hosting().expertsOn(service, layer);
            int[] own = work.hosting().expertsOn(violator, layer);
            int[] experts = Arrays.copyOf(trial, trial.length + own.length + 1);
            System.arraycopy(own, 0, experts, trial.length, own.length);
            experts[experts.length - 1] = expert;
            byLayer[layer].add(new Refusal(key, id, 0, experts));
        }

        private void forgetRefusalsAffectedBy(int service, int layer, int[] touched) {
            BitSet groups = new BitSet();
            BitSet changed = new BitSet(); // experts whose copies, pairs or cover the addition moved
            for (int e : work.hosting().expertsOn(service, layer)) {
                changed.set(e);
            }
            byLayer[layer].removeIf(r -> !live(r) || meets(r.experts(), changed) && release(r, groups));
            for (int t : touched) {
                // Smallest excess first: those are the refusals the new load can release.
                PriorityQueue<Refusal> mine = byService[t];
                double room = allowedMax + RECHECK * allowedMax - work.load(t);
                while (!mine.isEmpty() && (!live(mine.peek()) || mine.peek().excess() <= room)) {
                    release(mine.poll(), groups);
                }
            }
            for (int g = groups.nextSetBit(0); g >= 0; g = groups.nextSetBit(g + 1)) {
                push(best(g / shape.numLayers(), g % shape.numLayers()));
            }
        }

        private static boolean meets(int[] experts, BitSet changed) {
            for (int e : experts) {
                if (changed.get(e)) {
                    return true;
                }
            }
            return false;
        }

        private boolean live(Refusal r) {
            Long id = refusalId.get(r.key());
            return id != null && id == r.id();
        }

        private boolean release(Refusal r, BitSet groups) {
            if (live(r)) {
                refusalId.remove(r.key());
                int group = (int) (r.key() / shape.numExperts());
                int expert = (int) (r.key() % shape.numExperts());
                refused.get(group).clear(expert);
                groups.set(group);
                PriorityQueue<Candidate> heap = heaps.get(group);
                double gain = gain(group / shape.numLayers(), group % shape.numLayers(), expert);
                if (heap != null && gain > 0) {
                    heap.add(new Candidate(gain, expert));
                }
            }
            return true;
        }

        private void push(Entry e) {
            if (e != null) {
                queue.add(e);
            }
        }

        /**
         * The group's best addition now, refused ones aside, under a new version; null if none
         * gains. The first call scans the group; later ones keep its candidates in a lazy heap of
         * their own, valid for the same reason as the main queue while the group's units stay put.
         */
        private Entry best(int service, int layer) {
            int v = ++version[service][layer];
            if (pairMass[layer] == 0) {
                return null;
            }
            int group = service * shape.numLayers() + layer;
            PriorityQueue<Candidate> heap = heaps.get(group);
            if (heap == null && !scanned.get(group)) {
                scanned.set(group);
                Candidate c = scan(service, layer, null);
                return c == null ? null : new Entry(c.gain(), service, layer, c.expert(), v);
            }
            if (heap == null) {
                heap = new PriorityQueue<>(CANDIDATE_FIRST);
                scan(service, layer, heap);
                heaps.put(group, heap);
            }
            BitSet no = refused.get(group);
            for (Candidate c; (c = heap.peek()) != null; ) {
                if (work.hosting().hosts(service, layer, c.expert()) || no != null && no.get(c.expert())) {
                    heap.poll();
                    continue;
                }
                double gain = gain(service, layer, c.expert());
                if (gain == c.gain()) {
                    return new Entry(gain, service, layer, c.expert(), v);
                }
                heap.poll();
                if (gain > 0) {
                    heap.add(new Candidate(gain, c.expert()));
                }
            }
            return null;
        }

        /** The group's best candidate, or (with {@code into}) all its candidates into that heap. */
        private Candidate scan(int service, int layer, PriorityQueue<Candidate> into) {
            BitSet no = refused.get(service * shape.numLayers() + layer);
            Candidate best = null;
            for (int j = 0; j < shape.numExperts(); j++) {
                if (work.hosting().hosts(service, layer, j) || no != null && no.get(j)) {
                    continue;
                }
                double gain = gain(service, layer, j);
                if (gain > 0 && into != null) {
                    into.add(new Candidate(gain, j));
                }
                if (gain > 0 && (best == null || gain > best.gain())) {
                    best = new Candidate(gain, j);
                }
            }
            return best;
        }

        private double gain(int service, int layer, int expert) {
            return (double) work.newPairMass(service, layer, expert) / pairMass[layer];
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
