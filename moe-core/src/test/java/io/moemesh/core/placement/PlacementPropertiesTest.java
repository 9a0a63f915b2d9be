package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.routing.RoutingStats;
import java.util.Random;
import java.util.SortedSet;
import java.util.random.RandomGenerator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

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

    /**
     * Noise must rarely cost a rollout. It cannot be "never": the planner's balance rule is a hard
     * limit and the planner is greedy, so a 1% drift can carry a plan across the limit (jqwik found
     * 1 layer x 3 experts where co-hosting the heaviest pair left the busiest service 2 token-units
     * over it, and 1% more traffic on the busiest expert moved the limit past that) or reorder two
     * near-equal greedy steps. Counted on a fixed sample, so the count is the same on every run;
     * {@link #driftAndItsReversalNeverFlipFlop} is the guarantee that such a switch is one-way.
     */
    @Test
    void smallDriftRarelyTriggersAReplan() {
        Random params = new Random(20261205);
        int cases = 2000;
        int replans = 0;
        for (int i = 0; i < cases; i++) {
            long seed = params.nextLong();
            Case c = Case.of(1 + params.nextInt(3), 2 + params.nextInt(7), seed, params.nextInt(51),
                    params.nextInt(5), 125);
            RoutingStats drifted = TestStats.fromPairs(TestStats.perturb(c.pairs(), 0.01, seed ^ 0x5eed));
            PlanScore live = PlanScorer.score(CoactivationPlanner.plan(c.stats(), c.shape()), drifted, c.shape());
            PlanScore candidate = PlanScorer.score(CoactivationPlanner.plan(drifted, c.shape()), drifted, c.shape());
            replans += PlanChange.shouldApply(live, candidate, 0.05) ? 1 : 0;
        }
        assertThat(replans).as("replans after 1%% drift in %d cases", cases).isLessThanOrEqualTo(cases / 100);
    }

    /** Drift and its reversal never roll the cluster out twice: after a switch, going back does not pay. */
    @Property(tries = 200)
    void driftAndItsReversalNeverFlipFlop(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 2, max = 8) int experts,
            @ForAll long seed, @ForAll @IntRange(max = 50) int extra, @ForAll @IntRange(max = 4) int capExtra) {
        Case c = Case.of(layers, experts, seed, extra, capExtra, 125);
        RoutingStats drifted = TestStats.fromPairs(TestStats.perturb(c.pairs(), 0.01, seed ^ 0x5eed));
        PlacementPlan before = CoactivationPlanner.plan(c.stats(), c.shape());
        PlacementPlan after = CoactivationPlanner.plan(drifted, c.shape());

        boolean there = PlanChange.shouldApply(PlanScorer.score(before, drifted, c.shape()),
                PlanScorer.score(after, drifted, c.shape()), 0.05);
        boolean back = PlanChange.shouldApply(PlanScorer.score(after, c.stats(), c.shape()),
                PlanScorer.score(before, c.stats(), c.shape()), 0.05);

        assertThat(there && back).isFalse();
    }
}
