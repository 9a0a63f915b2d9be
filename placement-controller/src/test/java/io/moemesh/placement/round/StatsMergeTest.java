package io.moemesh.placement.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routers' windows are summed only when their shapes agree and their sums fit. */
class StatsMergeTest {

    private static final Instant T0 = Instant.parse("2026-12-05T00:00:00Z");

    @Test
    void sumsCountsAndSpansTheWindows() {
        RoutingStats a = RoutingStats.empty(1, 2, T0, T0.plusSeconds(60));
        RoutingStats b = RoutingStats.empty(1, 2, T0.minusSeconds(5), T0.plusSeconds(30));
        a.tokens()[0] = 3;
        b.tokens()[0] = 4;
        a.coactivation()[0][1] = 2;
        b.coactivation()[0][1] = 5;

        RoutingStats sum = StatsMerge.sum(List.of(a, b));

        assertThat(sum.tokens()).containsExactly(7);
        assertThat(sum.coactivation()[0]).containsExactly(0, 7, 0, 0);
        assertThat(sum.windowStart()).isEqualTo(T0.minusSeconds(5));
        assertThat(sum.windowEnd()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void refusesWindowsOfDifferentModels() {
        assertThatThrownBy(() -> StatsMerge.sum(List.of(RoutingStats.empty(2, 4, T0, T0), RoutingStats.empty(2, 8, T0, T0))))
                .isInstanceOf(StatsMerge.RefusedStatsException.class).hasMessageContaining("2x4 and 2x8");
    }

    @Test
    void refusesSumsThatOverflow() {
        RoutingStats a = RoutingStats.empty(1, 2, T0, T0);
        RoutingStats b = RoutingStats.empty(1, 2, T0, T0);
        a.expertTokens()[0][1] = Long.MAX_VALUE;
        b.expertTokens()[0][1] = 1;

        assertThatThrownBy(() -> StatsMerge.sum(List.of(a, b)))
                .isInstanceOf(StatsMerge.RefusedStatsException.class).hasMessageContaining("layer 0 overflow when summed");
    }

    @Test
    void refusesArraysThatDoNotMatchTheClaimedShape() {
        RoutingStats lying = new RoutingStats(2, 2, T0, T0, new long[2], new long[][] {new long[2], new long[3]},
                new long[][] {new long[4], new long[4]});

        assertThatThrownBy(() -> StatsMerge.sum(List.of(lying)))
                .isInstanceOf(StatsMerge.RefusedStatsException.class).hasMessageContaining("layer 1 do not hold 2 expert counts");
    }

    @Test
    void refusesNegativeCounts() {
        RoutingStats negative = RoutingStats.empty(1, 2, T0, T0);
        negative.coactivation()[0][2] = -1;

        assertThatThrownBy(() -> StatsMerge.sum(List.of(negative)))
                .isInstanceOf(StatsMerge.RefusedStatsException.class).hasMessageContaining("negative count");
    }

    @Test
    void addsExpertSetsBySetAndCountsARouterWithoutThemAsUnlisted() {
        RoutingStats a = RoutingStats.empty(1, 4, T0, T0).withExpertSets(new ExpertSets[] {
                new ExpertSets(new int[][] {{0, 1, 2}, {1, 2, 3}}, new long[] {4, 2}, 1)});
        RoutingStats b = RoutingStats.empty(1, 4, T0, T0).withExpertSets(new ExpertSets[] {
                new ExpertSets(new int[][] {{1, 2, 3}}, new long[] {3}, 0)});
        RoutingStats older = RoutingStats.empty(1, 4, T0, T0);
        a.tokens()[0] = 7;
        b.tokens()[0] = 3;
        older.tokens()[0] = 5;

        RoutingStats sum = StatsMerge.sum(List.of(a, b, older));

        assertThat(sum.hasExpertSets()).isTrue();
        assertThat(sum.expertSets()[0].sets()).isDeepEqualTo(new int[][] {{1, 2, 3}, {0, 1, 2}});
        assertThat(sum.expertSets()[0].counts()).containsExactly(5, 4);
        assertThat(sum.expertSets()[0].otherTokens()).isEqualTo(1 + 5);
        assertThat(sum.tokens()).containsExactly(15);
    }

    @Test
    void refusesExpertSetsForTheWrongNumberOfLayers() {
        RoutingStats lying = new RoutingStats(2, 2, T0, T0, new long[2], new long[2][2], new long[2][4],
                new ExpertSets[] {ExpertSets.none(0)});

        assertThatThrownBy(() -> StatsMerge.sum(List.of(lying)))
                .isInstanceOf(StatsMerge.RefusedStatsException.class).hasMessageContaining("expert sets");
    }
}
