package io.moemesh.placement.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.Unit;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementRoundTest {

    private static final int LAYERS = 2;
    private static final int EXPERTS = 4;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T00:00:00Z"), ZoneOffset.UTC);

    private final FakeMesh mesh = new FakeMesh(LAYERS, EXPERTS, 1);

    private PlacementRound round(double minGain, long minWindowTokens, boolean dryRun) {
        return new PlacementRound(List.of(mesh), mesh,
                new PlacementSettings(1.25, 0, 2.0, 4, minGain, minWindowTokens, dryRun), CLOCK);
    }

    private void hotPairs() {
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 1}, new int[] {2, 3});
    }

    @Test
    void appliesAPlanMakeBeforeBreakPartnersThenRefreshThenRelease() {
        hotPairs();

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.applied()).as(report.decision()).isTrue();
        assertThat(report.decision()).contains("expected remote calls 2.000 -> 1.510");
        // the report shows the placement as it is after the switch
        assertThat(report.liveScore()).isEqualTo(report.candidateScore());
        assertThat(report.live().plan().hosted()).isEqualTo(report.candidate().hosted());
        int refresh = mesh.log.indexOf("refresh");
        int last = mesh.log.size() - 1;
        assertThat(refresh).isPositive();
        assertThat(mesh.log.subList(0, refresh)).allMatch(e -> e.startsWith("set "));
        assertThat(mesh.log.subList(refresh + 1, last)).isNotEmpty().allMatch(e -> e.startsWith("release "));
        assertThat(mesh.log.get(last)).isEqualTo("refresh");
        // the hot pairs end up co-hosted: some endpoint of 0 or 1 hosts the other one's unit
        assertThat(mesh.endpoints.values()).anySatisfy(v -> assertThat(v.hosted()).contains(
                new Unit(0, 0), new Unit(0, 1)));
    }

    @Test
    void aSecondRoundOnTheSameStatisticsKeepsThePlacement() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        mesh.log.clear();

        PlacementReport again = round.run();

        assertThat(again.applied()).isFalse();
        assertThat(again.decision()).startsWith("kept the live placement");
        assertThat(mesh.log).isEmpty();
        assertThat(again.liveScore().remoteCallsPerToken()).isEqualTo(again.candidateScore().remoteCallsPerToken());
    }

    @Test
    void aGainBelowTheThresholdChangesNothing() {
        hotPairs();

        PlacementReport report = round(0.99, 10, false).run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).contains("below the 99.0% threshold");
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void waitsUntilTheWindowHoldsEnoughTokens() {
        hotPairs();

        PlacementReport report = round(0.05, 1_000_000, false).run();

        assertThat(report.decision()).startsWith("waiting for traffic");
        assertThat(report.candidate()).isNull();
        assertThat(report.liveScore().remoteCallsPerToken()).isEqualTo(2.0);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void aDryRunReportsThePlanAndChangesNothing() {
        hotPairs();

        PlacementReport report = round(0.05, 10, true).run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).startsWith("dry run: would apply");
        assertThat(report.candidateScore().remoteCallsPerToken()).isLessThan(2.0);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void whenAnEndpointRefusesItsPartnersTheOthersAreRevertedAndTheRouterNeverSwitches() {
        hotPairs();
        mesh.failSetPartnersCall = 2; // the plan changes two endpoints: the second one fails

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).contains("re-placement failed").contains("SetPartnerUnits: UNAVAILABLE");
        assertThat(mesh.log).filteredOn(e -> e.startsWith("set ")).hasSize(3); // change, failed change, revert
        assertThat(mesh.log).doesNotContain("refresh");
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.partners()).isEmpty());
    }

    @Test
    void whenTheRouterCannotSwitchNothingIsReleasedUntilALaterRoundSwitchesIt() {
        hotPairs();
        mesh.failRefresh = true;
        PlacementRound round = round(0.05, 10, false);

        PlacementReport failed = round.run();

        assertThat(failed.applied()).isFalse();
        assertThat(mesh.log).noneMatch(e -> e.startsWith("release "));
        mesh.failRefresh = false;
        mesh.log.clear();
        // a retiring unit exists only if the plan dropped a partner; force one by reverting a service by hand
        String changed = mesh.endpoints.values().stream().filter(v -> !v.partners().isEmpty()).findFirst()
                .orElseThrow().target();
        mesh.setPartners(changed, new java.util.TreeSet<>());
        mesh.log.clear();

        PlacementReport later = round.run();

        assertThat(later.decision()).startsWith("released retiring units on 1 endpoints");
        assertThat(mesh.log.indexOf("refresh")).isLessThan(mesh.log.indexOf("release " + changed));
        assertThat(mesh.endpoints.get(changed).retiring()).isEmpty();
    }

    @Test
    void everyReplicaOfAServiceGetsTheSameUnits() {
        FakeMesh two = new FakeMesh(LAYERS, EXPERTS, 2);
        two.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 1}, new int[] {2, 3});

        new PlacementRound(List.of(two), two, new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), CLOCK).run();

        for (int e = 0; e < EXPERTS; e++) {
            assertThat(two.partners("expert-" + e + "-r0:1")).isEqualTo(two.partners("expert-" + e + "-r1:1"));
        }
        assertThat(two.endpoints.values()).anySatisfy(v -> assertThat(v.partners()).isNotEmpty());
    }

    @Test
    void observedTrafficIsWhatTheRouterCountedBetweenTwoRounds() {
        hotPairs();
        PlacementRound round = round(0.99, 10, false);
        mesh.traffic = new Traffic(1_000, 500, 10_000);
        assertThat(round.run().observed()).isEqualTo(Traffic.NONE);

        mesh.traffic = new Traffic(1_000 + 300, 500 + 200, 10_000 + 4_000);
        Traffic observed = round.run().observed();

        assertThat(observed.callsPerToken()).isEqualTo(1.5);
        assertThat(observed.bytesPerToken()).isEqualTo(20.0);
    }

    @Test
    void aLivePlacementOverALoweredBudgetIsReplacedEvenThoughItCostsCalls() {
        hotPairs();
        new PlacementRound(List.of(mesh), mesh, new PlacementSettings(1.5, 0, 2.0, 4, 0.05, 10, false), CLOCK).run();
        int before = mesh.endpoints.values().stream().mapToInt(v -> v.partners().size()).sum();
        mesh.log.clear();

        PlacementReport report = round(0.05, 10, false).run(); // budget 1.25: 2 partner units

        assertThat(report.applied()).as(report.decision()).isTrue();
        assertThat(report.decision()).contains("over budget: " + (8 + before) + " units hosted, the budget allows 10");
        assertThat(mesh.endpoints.values().stream().mapToInt(v -> v.partners().size()).sum()).isEqualTo(2)
                .isLessThan(before);
        assertThat(mesh.log).anyMatch(e -> e.startsWith("release "));
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.retiring()).isEmpty());
    }

    @Test
    void endpointsWithoutAServiceAreLeftAlone() {
        hotPairs();
        mesh.endpoints.replaceAll((t, v) -> new EndpointView(t, java.util.OptionalInt.empty(), v.base(), new java.util.TreeSet<>(),
                new java.util.TreeSet<>(), 64));

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.decision()).startsWith("nothing to place");
        assertThat(mesh.log).isEmpty();
    }
}
