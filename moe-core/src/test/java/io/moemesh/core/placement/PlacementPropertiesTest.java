package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.routing.RoutingStats;
import java.util.SortedSet;
import java.util.random.RandomGenerator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class PlacementPropertiesTest {

    /** Loads and fractions go through differently ordered sums; compare with this slack. */
    private static final double EPS = 1e-9;

    /** Random top-2 traffic on a small cluster with a random budget (0..50% extra) and pod cap. */
    record Case(RoutingStats stats, ClusterShape shape, long[][][] pairs) {

        static Case of(int layers, int experts, long seed, int extraPercent, int capExtra, int balancePercent) {
            long[][][] pairs = TestStats.randomPairs(layers, experts, seed);
            int base = layers * experts;
            ClusterShape shape = new ClusterShape(layers, experts, base + base * extraPercent / 100,
                    layers + capExtra, balancePercent / 100.0, 64, 1, 4);
            return new Case(TestStats.fromPairs(pairs), shape, pairs);
        }
    }

    @Property(tries = 100)
    void hostsEveryUnitWithinBudgetAndCap(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra,
            @ForAll @IntRange(min = 100, max = 200) int balance) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, balance);

        PlacementPlan plan = CoactivationPlanner.plan(c.stats(), c.shape());

        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                Unit u = new Unit(l, e);
                assertThat(plan.hosted().stream().anyMatch(s -> s.contains(u))).as("%s hosted", u).isTrue();
            }
        }
        assertThat(plan.totalUnits()).isLessThanOrEqualTo(c.shape().maxTotalUnits());
        for (SortedSet<Unit> units : plan.hosted()) {
            assertThat(units.size()).isLessThanOrEqualTo(c.shape().perServiceUnitCap());
        }
        assertThat(plan.replicas()).allMatch(r -> r >= 1 && r <= 4);
    }

    @Property(tries = 100)
    void samePlanForTheSameInput(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, 125);
        Case again = Case.of(layers, experts, seed, extra, capExtra, 125);

        assertThat(CoactivationPlanner.plan(again.stats(), again.shape()))
                .isEqualTo(CoactivationPlanner.plan(c.stats(), c.shape()));
    }

    @Property(tries = 100)
    void neverMoreCallsThanOneServicePerExpert(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra,
            @ForAll @IntRange(min = 100, max = 200) int balance) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, balance);

        PlanScore planned = PlanScorer.score(CoactivationPlanner.plan(c.stats(), c.shape()), c.stats(), c.shape());
        PlanScore baseline = PlanScorer.score(
                PlacementBaselines.oneServicePerExpert(c.stats(), c.shape()), c.stats(), c.shape());

        assertThat(planned.remoteCallsPerToken()).isLessThanOrEqualTo(baseline.remoteCallsPerToken() + EPS);
    }

    @Property(tries = 100)
    void noPlanCapturesMoreThanTheBound(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra) {
        // The bound ignores balance, so the loosest bound lets the planner get as close as it can.
        Case c = Case.of(layers, experts, seed, extra, capExtra, 1000);
        double bound = CaptureBound.maxCapturedFraction(c.stats(), c.shape());

        PlacementPlan planned = CoactivationPlanner.plan(c.stats(), c.shape());
        PlacementPlan random = PlacementBaselines.randomCoLocation(c.stats(), c.shape(), c.shape().extraUnits(),
                RandomGenerator.of("L64X128MixRandom"));
        PlacementPlan eplb = PlacementBaselines.loadOnlyReplication(c.stats(), c.shape());

        for (PlacementPlan plan : new PlacementPlan[] {planned, random, eplb}) {
            assertThat(PlanScorer.score(plan, c.stats(), c.shape()).capturedPairFraction())
                    .isLessThanOrEqualTo(bound + EPS);
        }
    }

    @Property(tries = 100)
    void keepsBalanceWithinTheBoundOrNoWorseThanTheBaseline(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra,
            @ForAll @IntRange(min = 100, max = 200) int balance) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, balance);

        double planned = PlanScorer.score(CoactivationPlanner.plan(c.stats(), c.shape()), c.stats(), c.shape())
                .maxMeanLoad();
        double baseline = PlanScorer.score(PlacementBaselines.oneServicePerExpert(c.stats(), c.shape()),
                c.stats(), c.shape()).maxMeanLoad();

        assertThat(planned).isLessThanOrEqualTo(Math.max(c.shape().balanceBound(), baseline) + EPS);
    }

    @Property(tries = 100)
    void smallDriftInTheStatsDoesNotTriggerAReplan(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, 125);
        RoutingStats drifted = TestStats.fromPairs(TestStats.perturb(c.pairs(), 0.01, seed ^ 0x5eed));

        PlanScore live = PlanScorer.score(CoactivationPlanner.plan(c.stats(), c.shape()), drifted, c.shape());
        PlanScore candidate = PlanScorer.score(CoactivationPlanner.plan(drifted, c.shape()), drifted, c.shape());

        assertThat(PlanChange.shouldApply(live, candidate, 0.05)).isFalse();
    }
}
