package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.routing.RoutingStats;
import java.util.List;
import java.util.SortedSet;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class PlacementPlannerTest {

    /** One layer, four experts: every token picks {0, 1} or {2, 3}, half and half. */
    private static final RoutingStats TWO_FIXED_PAIRS = TestStats.fromPairs(new long[][][] {{
            {0, 100, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 100}, {0, 0, 0, 0}}});

    private static ClusterShape shape(double balanceBound) {
        return new ClusterShape(1, 4, 6, 2, balanceBound, 64, 1, 4);
    }

    @Test
    void coHostsExpertsThatAreAlwaysPickedTogether() {
        PlacementPlan plan = CoactivationPlanner.plan(TWO_FIXED_PAIRS, shape(2.0));

        assertThat(plan.hosted().get(0)).containsExactly(new Unit(0, 0), new Unit(0, 1));
        assertThat(plan.hosted().get(2)).containsExactly(new Unit(0, 2), new Unit(0, 3));
        PlanScore score = PlanScorer.score(plan, TWO_FIXED_PAIRS, shape(2.0));
        assertThat(score.remoteCallsPerToken()).isEqualTo(1.0);
        assertThat(score.capturedPairFraction()).isEqualTo(1.0);
        assertThat(score.bytesPerToken()).isEqualTo(1.0 * 2 * 64 * 4);
        assertThat(score.memoryRatio()).isEqualTo(1.5);
    }

    @Test
    void noCoLocationCostsTwoCallsPerToken() {
        PlacementPlan plan = PlacementBaselines.oneServicePerExpert(TWO_FIXED_PAIRS, shape(2.0));

        PlanScore score = PlanScorer.score(plan, TWO_FIXED_PAIRS, shape(2.0));
        assertThat(score.remoteCallsPerToken()).isEqualTo(2.0);
        assertThat(score.maxMeanLoad()).isEqualTo(1.0);
        assertThat(plan.replicas()).containsExactly(4, 4, 4, 4);
    }

    @Test
    void refusesCoLocationThatWouldBreakTheBalanceBound() {
        // Co-hosting {0, 1} on service 0 doubles its load: max/mean 2 > 1.25.
        PlacementPlan plan = CoactivationPlanner.plan(TWO_FIXED_PAIRS, shape(1.25));

        assertThat(plan.totalUnits()).isEqualTo(4);
        assertThat(PlanScorer.score(plan, TWO_FIXED_PAIRS, shape(1.25)).maxMeanLoad()).isEqualTo(1.0);
    }

    @Test
    void sizesReplicasByLoad() {
        PlacementPlan plan = CoactivationPlanner.plan(TWO_FIXED_PAIRS, shape(2.0));

        // Services 0 and 2 serve all the work, 1 and 3 none.
        assertThat(plan.replicas()).containsExactly(4, 1, 4, 1);
    }

    @Test
    void loadOnlyReplicationCopiesTheBusiestUnitToTheLeastLoadedService() {
        RoutingStats skewed = TestStats.fromPairs(new long[][][] {{
                {0, 300, 0, 0}, {0, 0, 100, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}});
        ClusterShape shape = new ClusterShape(1, 4, 5, 2, 1.25, 64, 1, 4);

        PlacementPlan plan = PlacementBaselines.loadOnlyReplication(skewed, shape);

        // Expert 1 (400 tokens) is busiest; service 3 is idle.
        assertThat(plan.hosted().get(3)).containsExactly(new Unit(0, 1), new Unit(0, 3));
    }

    @Test
    void randomCoLocationSpendsTheSameMemory() {
        RoutingStats stats = TestStats.fromPairs(TestStats.randomPairs(3, 6, 7));
        ClusterShape shape = ClusterShape.defaults(3, 6, 64);

        PlacementPlan plan = PlacementBaselines.randomCoLocation(stats, shape, shape.extraUnits(),
                RandomGenerator.of("L64X128MixRandom"));

        assertThat(plan.totalUnits()).isEqualTo(shape.maxTotalUnits());
        for (SortedSet<Unit> units : plan.hosted()) {
            assertThat(units.size()).isLessThanOrEqualTo(shape.perServiceUnitCap());
        }
    }

    @Test
    void boundCountsPairsOfFilledServices() {
        // m = 2 partners per service: a full service co-hosts C(3, 2) = 3 pairs, a lone partner 1.
        assertThat(CaptureBound.maxPairs(5, 2)).isEqualTo(3 + 3 + 1);
        assertThat(CaptureBound.maxPairs(0, 2)).isZero();
    }

    @Test
    void boundIsReachedWhenOnePartnerCapturesAllPairs() {
        assertThat(CaptureBound.maxCapturedFraction(TWO_FIXED_PAIRS, shape(2.0))).isCloseTo(1.0, within(1e-12));
        // One extra unit co-hosts at most one pair: half of the mass.
        ClusterShape oneExtra = new ClusterShape(1, 4, 5, 2, 2.0, 64, 1, 4);
        assertThat(CaptureBound.maxCapturedFraction(TWO_FIXED_PAIRS, oneExtra)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void appliesOnlyChangesThatClearTheThreshold() {
        PlanScore current = new PlanScore(1.8, 0, 1, 1, 0.2);

        assertThat(PlanChange.shouldApply(current, new PlanScore(1.75, 0, 1, 1, 0.25), 0.05)).isFalse();
        assertThat(PlanChange.shouldApply(current, new PlanScore(1.6, 0, 1, 1, 0.4), 0.05)).isTrue();
        assertThat(PlanChange.shouldApply(current, current, 0.0)).isFalse();
    }

    @Test
    void plansAreValuesComparedByContent() {
        PlacementPlan a = CoactivationPlanner.plan(TWO_FIXED_PAIRS, shape(2.0));
        PlacementPlan b = new PlacementPlan(a.hosted(), List.copyOf(a.replicas()));

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }
}
