package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.routing.RoutingStats;
import java.util.SortedSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpertSetPlacementTest {

    private static final double EPS = 1e-9;

    private static ClusterShape shape(int layers, int experts, double budget, int capExtra) {
        int base = layers * experts;
        return new ClusterShape(layers, experts, (int) Math.round(base * budget), layers + capExtra, 10, 64, 1, 4);
    }

    @Test
    void setCallsEqualPairCallsForTopTwo() {
        RoutingStats stats = TopKStats.random(3, 8, 2, 2_000, 7, 1 << 12);
        ClusterShape shape = shape(3, 8, 1.5, 4);
        for (int seed = 0; seed < 20; seed++) {
            PlacementPlan plan = PlacementBaselines.randomCoLocation(stats, shape, 3 + seed, new SplittableRandom(seed));
            Hosting hosting = Hosting.of(plan, 3, 8);
            GreedyCover cover = new GreedyCover(8, 2);
            double sets = 0;
            for (int l = 0; l < 3; l++) {
                sets += ExpertSetScoring.listedCalls(hosting, stats, l, cover) / stats.tokens()[l];
            }

            PlanScore pairs = PlanScorer.score(plan, stats, shape);

            assertThat(pairs.callModel()).isEqualTo(PlanScore.CallModel.PAIRS);
            assertThat(sets / 3).isCloseTo(pairs.remoteCallsPerToken(), within(EPS));
        }
    }

    @Test
    void topTwoPlanIsThePairPlanWithOrWithoutSets() {
        RoutingStats stats = TopKStats.random(2, 8, 2, 2_000, 11, 1 << 12);
        RoutingStats pairsOnly = new RoutingStats(2, 8, stats.windowStart(), stats.windowEnd(), stats.tokens(),
                stats.expertTokens(), stats.coactivation());
        ClusterShape shape = shape(2, 8, 1.5, 4);

        assertThat(CoactivationPlanner.plan(stats, shape)).isEqualTo(CoactivationPlanner.plan(pairsOnly, shape));
    }

    @Test
    void scoresTopEightFromExpertSetsAndSaysSo() {
        RoutingStats stats = TopKStats.random(2, 16, 8, 1_000, 3, 64);

        PlanScore none = PlanScorer.score(PlacementBaselines.oneServicePerExpert(stats, shape(2, 16, 1.25, 8)), stats,
                shape(2, 16, 1.25, 8));

        assertThat(none.callModel()).isEqualTo(PlanScore.CallModel.EXPERT_SETS);
        assertThat(none.remoteCallsPerToken()).isCloseTo(8, within(EPS));
        assertThat(none.listedTokenFraction()).isBetween(0.0, 1.0);
    }

    @Test
    void fallsBackToAPairEstimateWithoutExpertSets() {
        RoutingStats sets = TopKStats.random(2, 8, 3, 1_000, 5, 64);
        RoutingStats stats = new RoutingStats(2, 8, sets.windowStart(), sets.windowEnd(), sets.tokens(),
                sets.expertTokens(), sets.coactivation());
        ClusterShape shape = shape(2, 8, 1.25, 4);

        PlanScore none = PlanScorer.score(PlacementBaselines.oneServicePerExpert(stats, shape), stats, shape);
        PlanScore planned = PlanScorer.score(CoactivationPlanner.plan(stats, shape), stats, shape);

        assertThat(none.callModel()).isEqualTo(PlanScore.CallModel.PAIR_ESTIMATE);
        assertThat(none.remoteCallsPerToken()).isCloseTo(3, within(EPS));
        assertThat(planned.remoteCallsPerToken()).isLessThan(3);
    }

    @Test
    void coHostsAHeavyTripleOnOneService() {
        int[][] tokens = new int[10][];
        for (int t = 0; t < 10; t++) {
            tokens[t] = t < 9 ? new int[] {3, 1, 2} : new int[] {0, 4, 5};
        }
        RoutingStats stats = TopKStats.of(6, new int[][][] {tokens});
        ClusterShape shape = shape(1, 6, 8 / 6.0, 2); // two partner units

        PlacementPlan plan = CoactivationPlanner.plan(stats, shape);
        PlanScore score = PlanScorer.score(plan, stats, shape);

        assertThat(plan.hosted().get(1)).contains(new Unit(0, 2), new Unit(0, 3));
        assertThat(score.remoteCallsPerToken()).isCloseTo(0.9 * 1 + 0.1 * 3, within(EPS));
        assertThat(CallBound.minCallsPerToken(stats, shape)).isLessThanOrEqualTo(score.remoteCallsPerToken() + EPS);
    }

    @Test
    void plansAWindowOfMoeLayersOnlyWhenTheFirstDecoderLayerIsDense() {
        // a DeepSeek-MoE-like model: 4 decoder layers, layer 0 dense, so the router's window has 3 MoE layers
        RoutingStats stats = TopKStats.random(3, 16, 6, 500, 9, 128);
        ClusterShape shape = ClusterShape.defaults(3, 16, 64);

        PlacementPlan plan = CoactivationPlanner.plan(stats, shape);

        assertThat(plan.hosted()).hasSize(16);
        assertThat(plan.hosted().stream().flatMap(SortedSet::stream)).allMatch(u -> u.layer() >= 0 && u.layer() < 3);
        assertThat(plan.totalUnits()).isGreaterThan(3 * 16);
        assertThat(PlanScorer.score(plan, stats, shape).remoteCallsPerToken()).isLessThan(6);
    }
}
