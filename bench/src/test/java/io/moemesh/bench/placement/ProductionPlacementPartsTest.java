package io.moemesh.bench.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ProductionPlacementPartsTest {

    @Test
    void greedyCoverCallsAServiceOnceForAllOfATokensExpertsItHosts() {
        // One layer, experts 0 and 1 on bin 0, expert 2 on bin 1, expert 3 on bins 1 and 2.
        int[][][] binsOf = {{{0}, {0}, {1}, {1, 2}}};
        int[][] token = {{0, 1, 2, 3}};

        TokenCalls.Calls calls = TokenCalls.count(binsOf, 3, token, 4);

        assertThat(calls.mean()).isEqualTo(2.0);
        assertThat(calls.max()).isEqualTo(2);
    }

    @Test
    void eplbGivesRedundantSlotsToTheHighestLoadPerReplica() {
        long[] load = {90, 10, 40};

        assertThat(HierarchicalEplb.replicate(load, new int[] {0, 1, 2}, 6)).containsExactly(3, 1, 2);
    }

    @Test
    void eplbPackingFillsEveryPackToItsCountAndBalances() {
        int[] packOf = HierarchicalEplb.pack(new double[] {8, 7, 2, 1}, 2, 2);

        assertThat(packOf).containsExactly(0, 1, 1, 0);
    }

    @Test
    void coactivationNodesKeepExpertsPickedTogetherOnOneNode() {
        RoutingStats stats = RoutingStats.empty(1, 4, Instant.EPOCH, Instant.EPOCH.plusSeconds(1));
        pair(stats, 0, 2, 100);
        pair(stats, 1, 3, 100);
        pair(stats, 0, 1, 5);

        int[] nodeOf = CoactivationNodePlanner.assignLayer(stats, 0, 2, 1.10, 2);

        assertThat(nodeOf[0]).isEqualTo(nodeOf[2]).isNotEqualTo(nodeOf[1]);
        assertThat(nodeOf[1]).isEqualTo(nodeOf[3]);
    }

    @Test
    void syntheticRoutingListsExpertSetsWhenAskedWithExactTotals() {
        SyntheticRouting.Config small = new SyntheticRouting.Config("small", 2, 32, 8, 0.5, 4, 8, 1.5, 0.2);

        SyntheticRouting.Sample plain = new SyntheticRouting(small, 7).sample(500, 10, 3);
        SyntheticRouting.Sample sets = new SyntheticRouting(small, 7).sample(500, 10, 3, 16);

        assertThat(plain.stats().hasExpertSets()).isFalse();
        assertThat(sets.stats().coactivation()).isDeepEqualTo(plain.stats().coactivation());
        assertThat(sets.stats().expertSets()[1].size()).isBetween(1, 16);
        assertThat(sets.stats().expertSets()[1].listedTokens() + sets.stats().expertSets()[1].otherTokens())
                .isEqualTo(500);
    }

    @Test
    void allOrEachCostsOneCallOnlyWhenOneServiceHostsTheWholeSet() {
        SyntheticRouting.Config c = new SyntheticRouting.Config("tiny", 1, 4, 3, 0.5, 1, 2, 1.5, 0.2);
        RoutingStats stats = RoutingStats.empty(1, 4, Instant.EPOCH, Instant.EPOCH);
        ClusterShape shape = new ClusterShape(1, 4, 6, 3, 10, 8, 1, 4);
        PlacementPlan homes = PlacementBaselines.oneServicePerExpert(stats, shape);
        java.util.List<java.util.SortedSet<Unit>> hosted = new java.util.ArrayList<>(homes.hosted());
        java.util.SortedSet<Unit> zero = new java.util.TreeSet<>(hosted.get(0));
        zero.add(new Unit(0, 1));
        zero.add(new Unit(0, 2));
        hosted.set(0, zero);
        PlacementPlan plan = new PlacementPlan(hosted, homes.replicas());
        int[][] heldOut = {{0, 1, 2, 1, 2, 3}}; // the first token fits service 0, the second does not

        assertThat(TopKPlacement.allOrEach(plan, c, heldOut)).isEqualTo((1 + 3) / 2.0);
    }

    @Test
    void syntheticRoutingIsSeededAndPicksKDistinctExpertsPerToken() {
        SyntheticRouting.Config small = new SyntheticRouting.Config("small", 2, 32, 8, 0.5, 4, 8, 1.5, 0.2);

        SyntheticRouting.Sample a = new SyntheticRouting(small, 7).sample(500, 10, 3);
        SyntheticRouting.Sample b = new SyntheticRouting(small, 7).sample(500, 10, 3);

        assertThat(a.stats().coactivation()).isDeepEqualTo(b.stats().coactivation());
        assertThat(Arrays.stream(a.stats().expertTokens()[1]).sum()).isEqualTo(8L * 500);
        long pairs = Arrays.stream(a.stats().coactivation()[1]).sum() / 2;
        assertThat(pairs).isEqualTo(28L * 500);
        for (int t = 0; t < a.heldOutTokens(); t++) {
            assertThat(Arrays.stream(a.heldOut()[0], t * 8, t * 8 + 8).distinct().count()).isEqualTo(8);
        }
    }

    private static void pair(RoutingStats stats, int i, int j, long n) {
        stats.coactivation()[0][i * 4 + j] += n;
        stats.coactivation()[0][j * 4 + i] += n;
        stats.expertTokens()[0][i] += n;
        stats.expertTokens()[0][j] += n;
        stats.tokens()[0] += n;
    }
}
