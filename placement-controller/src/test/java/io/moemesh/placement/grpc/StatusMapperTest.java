package io.moemesh.placement.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.Traffic;
import io.moemesh.proto.internal.v1.PlacementStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@code moe plan} learns from the status what a top-k > 2 model's calls were counted from. */
class StatusMapperTest {

    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    @Test
    void reportsTopKAndTheCallModelOfTheLiveScore() {
        RoutingStats stats = RoutingStats.empty(1, 8, T0, T0.plusSeconds(60));
        stats.tokens()[0] = 2;
        stats.expertTokens()[0][0] = 2;
        stats.expertTokens()[0][1] = 2;
        stats.expertTokens()[0][2] = 2;
        stats = stats.withExpertSets(new ExpertSets[] {new ExpertSets(new int[][] {{0, 1, 2}}, new long[] {1}, 1)});
        PlanScore live = new PlanScore(2.5, 0, 1, 1, 0, PlanScore.CallModel.EXPERT_SETS, 0.5);
        PlacementReport report = PlacementReport.at(T0, new Traffic(0, 0, 0)).scored(stats, null, live, null)
                .build(Outcome.KEPT, "kept");

        PlacementStatus status = StatusMapper.toProto(new PlacementLoop.State(report, 0, null, null),
                new PlacementSettings(1.25, 0, 1.25, 4, 0.05, 1, false));

        assertThat(status.getTopK()).isEqualTo(3);
        assertThat(status.getCallModel()).isEqualTo("expert sets (greedy cover)");
        assertThat(status.getListedTokenFraction()).isEqualTo(0.5);
        assertThat(status.getStats().getExpertSetsRecorded()).isTrue();
        assertThat(status.getStats().getLayers(0).getExpertSets(0).getExpertsList()).containsExactly(0, 1, 2);
    }
}
