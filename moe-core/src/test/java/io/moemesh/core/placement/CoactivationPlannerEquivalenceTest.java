package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.routing.RoutingStats;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The incremental planner and the pruned bound against their slow twins. */
class CoactivationPlannerEquivalenceTest {

    @Property(tries = 300)
    void givesTheSamePlanAsTheFullRebuild(
            @ForAll @IntRange(min = 1, max = 4) int layers, @ForAll @IntRange(min = 2, max = 12) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 60) int extra, @ForAll @IntRange(max = 6) int capExtra,
            @ForAll @IntRange(min = 100, max = 200) int balance) {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(layers, experts, seed));
        int base = layers * experts;
        ClusterShape shape = new ClusterShape(layers, experts, base + base * extra / 100,
                layers + capExtra, balance / 100.0, 64, 1, 4);

        assertThat(CoactivationPlanner.plan(stats, shape)).isEqualTo(ReferenceCoactivationPlanner.plan(stats, shape));
    }

    @Property(tries = 100)
    void workspaceLoadsEqualAFullRescoringBitForBit(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 10) int experts,
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int additions) {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(layers, experts, seed));
        PlanWorkspace work = new PlanWorkspace(stats, Hosting.homes(layers, experts));
        java.util.Random rnd = new java.util.Random(seed);
        for (int a = 0; a < additions; a++) {
            work.tryAdd(rnd.nextInt(experts), rnd.nextInt(layers), rnd.nextInt(experts), Double.POSITIVE_INFINITY);
        }

        assertThat(work.loads()).containsExactly(PlanScorer.loads(work.hosting(), stats));
    }

    @Property(tries = 200)
    void increaseIsTheChangeOfAFullRescoring(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 10) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 30) int additions) {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(layers, experts, seed));
        PlanWorkspace work = grown(stats, layers, experts, seed, additions);
        int[] unit = unhosted(work, new java.util.Random(~seed));
        double before = work.serviceLoad(unit[0]);

        double increase = work.increase(unit[0], unit[1], unit[2]);
        work.add(unit[0], unit[1], unit[2]);

        assertThat(work.serviceLoad(unit[0]) - before).isCloseTo(increase, within(1e-9 * Math.max(1, before)));
    }

    @Property(tries = 200)
    void noOtherServiceLoadRisesWhenAUnitIsAdded(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 10) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 30) int additions) {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(layers, experts, seed));
        PlanWorkspace work = grown(stats, layers, experts, seed, additions);
        int[] unit = unhosted(work, new java.util.Random(~seed));
        double[] before = work.loads();

        work.add(unit[0], unit[1], unit[2]);

        double[] after = PlanScorer.loads(work.hosting(), stats);
        for (int v = 0; v < experts; v++) {
            if (v != unit[0]) {
                assertThat(after[v]).as("service %d", v).isLessThanOrEqualTo(before[v]);
            }
        }
    }

    /** A workspace after some random additions, as a plan in progress. */
    private static PlanWorkspace grown(RoutingStats stats, int layers, int experts, long seed, int additions) {
        PlanWorkspace work = new PlanWorkspace(stats, Hosting.homes(layers, experts));
        java.util.Random rnd = new java.util.Random(seed);
        for (int a = 0; a < additions; a++) {
            work.tryAdd(rnd.nextInt(experts), rnd.nextInt(layers), rnd.nextInt(experts), Double.POSITIVE_INFINITY);
        }
        return work;
    }

    /** A random (service, layer, expert) the workspace does not host yet; the case is discarded if it hosts all. */
    private static int[] unhosted(PlanWorkspace work, java.util.Random rnd) {
        Hosting h = work.hosting();
        java.util.List<int[]> free = new java.util.ArrayList<>();
        for (int s = 0; s < h.services(); s++) {
            for (int l = 0; l < h.layers(); l++) {
                for (int x = 0; x < h.services(); x++) {
                    if (!h.hosts(s, l, x)) {
                        free.add(new int[] {s, l, x});
                    }
                }
            }
        }
        Assume.that(!free.isEmpty());
        return free.get(rnd.nextInt(free.size()));
    }

    @Property(tries = 200)
    void prunedBoundEqualsTheFullKnapsack(
            @ForAll @IntRange(min = 1, max = 4) int layers, @ForAll @IntRange(min = 2, max = 12) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 150) int extra, @ForAll @IntRange(max = 12) int capExtra) {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(layers, experts, seed));
        int base = layers * experts;
        ClusterShape shape = new ClusterShape(layers, experts, base + base * extra / 100,
                layers + capExtra, 1.25, 64, 1, 4);

        assertThat(CaptureBound.maxCapturedFraction(stats, shape)).isEqualTo(fullKnapsack(stats, shape));
    }

    @Test
    void boundLetsAServiceSpendItsRoomAcrossLayers() {
        // Three layers of two experts, every token picks both: one partner unit per layer captures
        // that layer. The cap leaves each service two partner units, the budget three in all.
        RoutingStats stats = TestStats.fromPairs(new long[][][] {{{0, 10}, {0, 0}}, {{0, 10}, {0, 0}}, {{0, 10}, {0, 0}}});
        ClusterShape shape = new ClusterShape(3, 2, 9, 5, 10.0, 64, 1, 4);

        assertThat(PlanScorer.score(CoactivationPlanner.plan(stats, shape), stats, shape).capturedPairFraction())
                .isEqualTo(1.0);
        assertThat(CaptureBound.maxCapturedFraction(stats, shape)).isEqualTo(1.0);
    }

    /** The bound's knapsack over every unit count for every layer, without the pruning. */
    private static double fullKnapsack(RoutingStats stats, ClusterShape shape) {
        int experts = shape.numExperts();
        int perService = Math.min(shape.perServiceUnitCap() - shape.numLayers(), experts - 1);
        int budget = Math.min(shape.extraUnits(),
                Math.min(shape.perServiceUnitCap() - shape.numLayers(), shape.numLayers() * (experts - 1)) * experts);
        double[] best = new double[budget + 1];
        int pairLayers = 0;
        for (int l = 0; l < shape.numLayers(); l++) {
            long[] mass = new long[experts * (experts - 1) / 2];
            int n = 0;
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    mass[n++] = stats.coactivation(l, i, j);
                }
            }
            java.util.Arrays.sort(mass);
            double[] top = new double[mass.length + 1];
            for (int p = 1; p <= mass.length; p++) {
                top[p] = top[p - 1] + mass[mass.length - p];
            }
            if (top[mass.length] == 0) {
                continue;
            }
            pairLayers++;
            double[] next = new double[budget + 1];
            for (int b = 0; b <= budget; b++) {
                for (int here = 0; here <= b; here++) {
                    long pairs = Math.min(CaptureBound.maxPairs(here, perService), mass.length);
                    next[b] = Math.max(next[b], best[b - here] + top[(int) pairs] / top[mass.length]);
                }
            }
            best = next;
        }
        return pairLayers == 0 ? 0 : Math.min(1, best[budget] / pairLayers);
    }
}
