package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.proto.internal.v1.ExpertSetCount;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.ServicePlacement;
import io.moemesh.proto.internal.v1.Unit;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PlanReportTest {

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }

    private static String render(PlacementStatus status) {
        StringWriter out = new StringWriter();
        PlanReport.print(status, "127.0.0.1:50053", 2, new PrintWriter(out, true));
        return out.toString();
    }

    @Test
    void printsCallsPerTokenHostedUnitsAndTheTopPairsOfEveryLayer() {
        // 3 experts, 1 layer: pairs (0,1) x6, (0,2) x3, (1,2) x1
        LayerRoutingStats layer = LayerRoutingStats.newBuilder().setLayer(0).setTokens(10)
                .addAllTokensPerExpert(java.util.List.of(9L, 7L, 4L))
                .addAllCoactivation(java.util.List.of(0L, 6L, 3L, 6L, 0L, 1L, 3L, 1L, 0L)).build();
        PlacementStatus status = PlacementStatus.newBuilder().setPlansApplied(1).setLastDecision("applied: 1 endpoints")
                .setExpectedCallsPerToken(1.4).setBaselineCallsPerToken(2.0).setCandidateCallsPerToken(1.4)
                .setObservedCallsPerToken(1.42).setObservedBytesPerToken(3000).setMemoryRatio(1.333).setMaxMeanLoad(1.5)
                .setMinGain(0.05)
                .addServices(ServicePlacement.newBuilder().setService(0).addUnits(unit(0, 0)).addUnits(unit(0, 1))
                        .addEndpoints("127.0.0.1:50060"))
                .addServices(ServicePlacement.newBuilder().setService(1).addUnits(unit(0, 1))
                        .addEndpoints("127.0.0.1:50061"))
                .setStats(RoutingStatsSnapshot.newBuilder().setNumLayers(1).setNumExperts(3)
                        .setWindowStartUnixMillis(0).setWindowEndUnixMillis(60_000).addLayers(layer))
                .build();

        String text = render(status);

        assertThat(text).contains("1 plans applied", "last round: applied: 1 endpoints");
        assertThat(text).containsPattern("observed\\s+1\\.420").containsPattern("expected\\s+1\\.400")
                .containsPattern("baseline\\s+2\\.000");
        assertThat(text).containsPattern("expert-0 +2 units +partners 1:0 ")
                .containsPattern("expert-1 +1 units +partners - ");
        assertThat(text).contains("over the last 60 s").containsPattern("layer 0 +10 tokens +\\(0,1\\) 60\\.0% \\(0,2\\) 30\\.0%");
        assertThat(text).doesNotContain("(1,2)");
    }

    @Test
    void inLocalModePrintsThePrunedExpertsAndEveryServicesProcesses() {
        PlacementStatus status = PlacementStatus.newBuilder().setLastDecision("kept the live placement")
                .setLocalMode(true).addPrunedExperts(2).setReroutedShare(0.004).setQualityBudget(0.02)
                .setPruningDecision("pruned 2 (0.4% of routed token-slots, budget 2.0%)")
                .setExpertProcesses(4).setMaxExpertProcesses(5).setLocalDecision("stopped expert-2 (expert 2)")
                .addServices(ServicePlacement.newBuilder().setService(0).addUnits(unit(0, 0)).setLocalReplicas(3)
                        .setLocalReplicaTarget(3).setRoutingShare(0.7))
                .addServices(ServicePlacement.newBuilder().setService(1).addUnits(unit(0, 1)).setLocalReplicas(1)
                        .setLocalReplicaTarget(1).setRoutingShare(0.296))
                .addServices(ServicePlacement.newBuilder().setService(2).addUnits(unit(0, 2)).setPruned(true)
                        .setRoutingShare(0.004))
                .build();

        String text = render(status);

        assertThat(text).contains("pruned experts: 2 (reroutes 0.40% of routed token-slots, quality budget 2.00%)",
                "pruning: pruned 2 (0.4% of routed token-slots", "expert processes: 4 running, at most 5",
                "last local step: stopped expert-2");
        assertThat(text).containsPattern("expert-0 +3/3 processes +share 70\\.00%\n")
                .containsPattern("expert-2 +0/0 processes +share +0\\.40% +PRUNED");
    }

    @Test
    void outsideLocalModePrintsNoProcesses() {
        String text = render(PlacementStatus.newBuilder().setLastDecision("kept")
                .addServices(ServicePlacement.newBuilder().setService(0).addUnits(unit(0, 0))).build());

        assertThat(text).doesNotContain("pruned experts", "expert processes");
    }

    @Test
    void beforeTheFirstRoundSaysSoAndNothingElse() {
        String text = render(PlacementStatus.newBuilder().setLastDecision("no planning round yet").build());

        assertThat(text).contains("0 plans applied", "no planning round yet").doesNotContain("units hosted");
    }

    @Test
    void printsCallsFromExpertSetsForTopEightAndTheHeaviestSets() {
        LayerRoutingStats.Builder layer = LayerRoutingStats.newBuilder().setLayer(0).setTokens(20);
        for (int i = 0; i < 16; i++) {
            layer.addTokensPerExpert(10);
        }
        for (int i = 0; i < 16 * 16; i++) {
            layer.addCoactivation(0);
        }
        layer.addExpertSets(ExpertSetCount.newBuilder().addAllExperts(java.util.List.of(0, 1, 2, 3, 4, 5, 6, 7))
                .setTokens(5));
        PlacementStatus status = PlacementStatus.newBuilder().setLastDecision("kept")
                .setExpectedCallsPerToken(6.5).setBaselineCallsPerToken(8).setMemoryRatio(1.25).setMaxMeanLoad(1.1)
                .setTopK(8).setCallModel("expert sets (greedy cover)").setListedTokenFraction(0.25)
                .addServices(ServicePlacement.newBuilder().setService(0).addUnits(unit(0, 0)))
                .setStats(RoutingStatsSnapshot.newBuilder().setNumLayers(1).setNumExperts(16).setExpertSetsRecorded(true)
                        .setWindowEndUnixMillis(60_000).addLayers(layer))
                .build();

        String text = render(status);

        assertThat(text).contains("top-8: 8.000 = every token calls 8 endpoints",
                "counted from expert sets (greedy cover), 25.0% of tokens in listed sets");
        assertThat(text).containsPattern("expected\\s+6\\.500").containsPattern("baseline\\s+8\\.000");
        assertThat(text).contains("layer 0   {0,1,2,3,4,5,6,7} 25.0%");
    }

    @Test
    void saysWhenTopEightCallsAreAPairEstimate() {
        PlacementStatus status = PlacementStatus.newBuilder().setLastDecision("kept").setExpectedCallsPerToken(7.5)
                .setTopK(8).setCallModel("pair estimate (no expert sets recorded)")
                .addServices(ServicePlacement.newBuilder().setService(0).addUnits(unit(0, 0))).build();

        assertThat(render(status)).contains("counted from pair estimate (no expert sets recorded)")
                .doesNotContain("listed sets");
    }
}
