package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.RoutingStats;
import java.util.SortedSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class CallBoundTest {

    private static final double EPS = 1e-9;

    @Property(tries = 60)
    void plannerNeverBeatsTheBound(
            @ForAll @IntRange(min = 1, max = 3) int layers, @ForAll @IntRange(min = 4, max = 10) int experts,
            @ForAll @IntRange(min = 3, max = 4) int k, @ForAll long seed, @ForAll @IntRange(max = 100) int extra,
            @ForAll @IntRange(max = 6) int capExtra, @ForAll @IntRange(min = 4, max = 64) int setsPerLayer) {
        RoutingStats stats = TopKStats.random(layers, experts, k, 300, seed, setsPerLayer);
        int base = layers * experts;
        ClusterShape shape = new ClusterShape(layers, experts, base + base * extra / 100, layers + capExtra,
                1.25, 64, 1, 4);

        PlacementPlan plan = CoactivationPlanner.plan(stats, shape);
        PlanScore score = PlanScorer.score(plan, stats, shape);

        assertThat(score.callModel()).isEqualTo(PlanScore.CallModel.EXPERT_SETS);
        assertThat(score.remoteCallsPerToken()).isGreaterThanOrEqualTo(CallBound.minCallsPerToken(stats, shape) - EPS);
        assertThat(score.remoteCallsPerToken()).isLessThanOrEqualTo(k + EPS);
        assertThat(CoactivationPlanner.plan(stats, shape)).as("same input, same plan").isEqualTo(plan);
        assertThat(plan.totalUnits()).isLessThanOrEqualTo(shape.maxTotalUnits());
        for (SortedSet<Unit> units : plan.hosted()) {
            assertThat(units.size()).isLessThanOrEqualTo(shape.perServiceUnitCap());
        }
    }

    /** Every placement of partner units on one layer of 4 experts (2^12), top-3: none beats the bound. */
    @Property(tries = 100)
    void noPlacementBeatsTheBoundOnTinyInstances(
            @ForAll long seed, @ForAll @IntRange(max = 5) int extraUnits, @ForAll @IntRange(max = 3) int capExtra) {
        int experts = 4;
        RoutingStats stats = TopKStats.random(1, experts, 3, 40, seed, 4);
        ClusterShape shape = new ClusterShape(1, experts, experts + extraUnits, 1 + capExtra, 10, 64, 1, 4);
        double bound = CallBound.minCallsPerToken(stats, shape);

        double best = Double.POSITIVE_INFINITY;
        int slots = experts * (experts - 1);
        for (int mask = 0; mask < 1 << slots; mask++) {
            Hosting hosting = placement(mask, experts, shape);
            if (hosting != null) {
                best = Math.min(best, PlanScorer.score(hosting, stats, shape).remoteCallsPerToken());
            }
        }

        assertThat(bound).isLessThanOrEqualTo(best + EPS);
    }

    @Test
    void boundIsKWithoutBudgetAndOneWhenEverySetFitsOneService() {
        RoutingStats stats = TopKStats.of(4, new int[][][] {{{0, 1, 2}, {0, 1, 2}, {1, 2, 3}}});

        assertThat(CallBound.minCallsPerToken(stats, new ClusterShape(1, 4, 4, 1, 10, 64, 1, 4))).isEqualTo(3);
        assertThat(CallBound.minCallsPerToken(stats, new ClusterShape(1, 4, 16, 4, 10, 64, 1, 4))).isEqualTo(1);
    }

    @Test
    void needsExpertSets() {
        RoutingStats sets = TopKStats.of(4, new int[][][] {{{0, 1, 2}}});
        RoutingStats stats = new RoutingStats(1, 4, sets.windowStart(), sets.windowEnd(), sets.tokens(),
                sets.expertTokens(), sets.coactivation());

        assertThatThrownBy(() -> CallBound.minCallsPerToken(stats, ClusterShape.defaults(1, 4, 64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expert sets");
    }

    /** Homes plus the partner units the mask names, or null if that breaks the budget or cap. */
    private static Hosting placement(int mask, int experts, ClusterShape shape) {
        if (Integer.bitCount(mask) > shape.extraUnits()) {
            return null;
        }
        Hosting hosting = Hosting.homes(1, experts);
        int bit = 0;
        for (int s = 0; s < experts; s++) {
            for (int e = 0; e < experts; e++) {
                if (e != s && (mask >> bit++ & 1) == 1) {
                    hosting.add(s, 0, e);
                }
            }
            if (hosting.unitCount(s) > shape.perServiceUnitCap()) {
                return null;
            }
        }
        return hosting;
    }
}
