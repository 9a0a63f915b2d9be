package io.moemesh.placement.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStatsWindow;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.TreeSet;
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
    void appliesAPlanPartnersFirstThenTheRouterSwitches() {
        hotPairs();

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.applied()).as(report.decision()).isTrue();
        assertThat(report.decision()).contains("expected remote calls 2.000 -> 1.510", "routers switched");
        // the report shows the placement as it is after the switch
        assertThat(report.liveScore()).isEqualTo(report.candidateScore());
        assertThat(report.live().plan().hosted()).isEqualTo(report.candidate().hosted());
        int refresh = mesh.log.indexOf("refresh");
        assertThat(refresh).isPositive();
        assertThat(mesh.log.subList(0, refresh)).allMatch(e -> e.startsWith("set "));
        assertThat(mesh.routerView).isEqualTo(mesh.endpoints);
        // the hot pairs end up co-hosted: some endpoint of 0 or 1 hosts the other one's unit
        assertThat(mesh.endpoints.values()).anySatisfy(v -> assertThat(v.hosted()).contains(
                new Unit(0, 0), new Unit(0, 1)));
    }

    @Test
    void partnersAPlanDropsAreReleasedOnlyAfterTheRouterHasSwitched() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 2}, new int[] {1, 3});
        mesh.log.clear();

        PlacementReport report = round.run();

        assertThat(report.applied()).as(report.decision()).isTrue();
        int refresh = mesh.log.indexOf("refresh");
        assertThat(mesh.log.subList(0, refresh)).isNotEmpty().allMatch(e -> e.startsWith("set "));
        assertThat(mesh.log.subList(refresh + 1, mesh.log.size())).isNotEmpty().allMatch(e -> e.startsWith("release "));
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.retiring()).isEmpty());
    }

    @Test
    void anEndpointTheRouterCouldNotReDescribeKeepsItsRetiringUnitsUntilTheRouterHasSeenIt() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        String holder = mesh.endpoints.values().stream().filter(v -> !v.partners().isEmpty()).findFirst()
                .orElseThrow().target();
        mesh.describeFails.add(holder); // the router keeps routing by its old description of it
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 2}, new int[] {1, 3});

        PlacementReport report = round.run();

        assertThat(report.decision()).contains("keep retiring units until every router has re-described them");
        assertThat(mesh.log).doesNotContain("release " + holder);
        assertThat(mesh.endpoints.get(holder).retiring()).isNotEmpty();

        mesh.describeFails.clear();
        mesh.log.clear();
        PlacementReport later = round.run();

        assertThat(later.decision()).startsWith("routers switched, retiring units released on 1 endpoints");
        assertThat(mesh.log.indexOf("refresh")).isLessThan(mesh.log.indexOf("release " + holder));
        assertThat(mesh.endpoints.get(holder).retiring()).isEmpty();
    }

    @Test
    void partnersChangedBehindTheRoutersBackAreSwitchedAndReleasedByTheNextRound() {
        // a controller stopped between setting partners and switching the router: the endpoint
        // already hosts (and retires) units the router does not know about
        String target = "expert-0-r0:1";
        mesh.setPartners(target, new TreeSet<>(List.of(new Unit(1, 1))));
        mesh.setPartners(target, new TreeSet<>(List.of(new Unit(0, 3))));
        mesh.log.clear();
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 1, new int[] {0, 3}); // nothing worth re-planning

        PlacementReport report = round(0.99, 10, false).run();

        assertThat(report.decision()).startsWith("routers switched, retiring units released on 1 endpoints");
        assertThat(mesh.log).containsExactly("refresh", "release " + target);
        assertThat(mesh.routerView.get(target).partners()).containsExactly(new Unit(0, 3));
        assertThat(report.live().plan().hosted().get(0)).contains(new Unit(0, 3));
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
        assertThat(again.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(mesh.log).isEmpty();
        assertThat(again.liveScore().remoteCallsPerToken()).isEqualTo(again.candidateScore().remoteCallsPerToken());
    }

    @Test
    void aGainBelowTheThresholdChangesNothing() {
        hotPairs();

        PlacementReport report = round(0.99, 10, false).run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).contains("below the 99.0% threshold");
        assertThat(report.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void waitsUntilTheWindowHoldsEnoughTokens() {
        hotPairs();

        PlacementReport report = round(0.05, 1_000_000, false).run();

        assertThat(report.decision()).startsWith("waiting for traffic");
        assertThat(report.outcome()).isEqualTo(Outcome.WAITING);
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
        assertThat(report.outcome()).isEqualTo(Outcome.DRY_RUN);
        assertThat(report.candidateScore().remoteCallsPerToken()).isLessThan(2.0);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void whenAnEndpointRefusesItsPartnersTheOthersAreRevertedAndTheRouterNeverSwitches() {
        hotPairs();
        mesh.failSetPartnersCall = 2; // the plan changes two endpoints: the second one fails
        PlacementRound round = round(0.05, 10, false);

        PlacementReport report = round.run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).contains("re-placement failed").contains("SetPartnerUnits: UNAVAILABLE");
        assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
        // change, failed change, then both reverted (the failed one may have taken effect after all)
        assertThat(mesh.log).filteredOn(e -> e.startsWith("set ")).hasSize(4);
        assertThat(mesh.log).doesNotContain("refresh");
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.partners()).isEmpty());

        // what the reverted endpoint had loaded is retiring; the next round switches and releases it
        mesh.log.clear();
        PlacementReport next = round(0.99, 10, false).run();

        assertThat(next.decision()).startsWith("routers switched, retiring units released on 1 endpoints");
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.retiring()).isEmpty());
    }

    @Test
    void whenTheRouterCannotSwitchThePlanIsAppliedButNothingIsReleasedUntilALaterRoundSwitchesIt() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 2}, new int[] {1, 3});
        mesh.failRefresh = true;
        mesh.log.clear();

        PlacementReport failed = round.run();

        assertThat(failed.applied()).as("the endpoints host the plan's units").isTrue();
        assertThat(failed.outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(failed.decision()).contains("the routers have not switched yet, nothing released");
        assertThat(mesh.log).noneMatch(e -> e.startsWith("release "));
        assertThat(mesh.endpoints.values()).anySatisfy(v -> assertThat(v.retiring()).isNotEmpty());

        PlacementReport stillStuck = round.run(); // the same window: nothing new to apply
        assertThat(stillStuck.outcome()).as("the note on the switch keeps the outcome").isEqualTo(Outcome.KEPT);
        assertThat(stillStuck.decision()).startsWith("the routers have not switched yet, nothing released")
                .contains("kept the live placement");

        mesh.failRefresh = false;
        mesh.log.clear();
        PlacementReport later = round.run();

        assertThat(later.decision()).startsWith("routers switched, retiring units released on");
        assertThat(mesh.log.getFirst()).isEqualTo("refresh");
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.retiring()).isEmpty());
        assertThat(mesh.endpoints.values()).allSatisfy(v ->
                assertThat(mesh.routerView.get(v.target()).hosted()).isEqualTo(v.hosted()));
    }

    @Test
    void aReleaseThatFailsIsRetriedByTheNextRound() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, new int[] {0, 2}, new int[] {1, 3});
        mesh.failRelease = true;

        PlacementReport report = round.run();

        assertThat(report.applied()).isTrue();
        assertThat(report.decision()).contains("keep retiring units");
        mesh.failRelease = false;
        round.run();
        assertThat(mesh.endpoints.values()).allSatisfy(v -> assertThat(v.retiring()).isEmpty());
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
        mesh.endpoints.replaceAll((t, v) -> new EndpointView(t, java.util.OptionalInt.empty(), v.base(),
                new TreeSet<>(), new TreeSet<>(), 64));
        mesh.routerView.putAll(mesh.endpoints);

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.decision()).startsWith("nothing to place");
        assertThat(report.outcome()).isEqualTo(Outcome.WAITING);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void statisticsThatOverflowWhenSummedStopTheRoundWithTheReasonAndChangeNothing() {
        hotPairs();
        mesh.stats.tokens()[0] = Long.MAX_VALUE;
        PlacementRound twoRouters = new PlacementRound(List.of(mesh, mesh), mesh,
                new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), CLOCK);

        PlacementReport report = twoRouters.run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).startsWith("refused the routers' statistics").contains("overflow");
        assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void statisticsOfFewerExpertsThanTheEndpointsHostStopTheRound() {
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS - 1, 100, new int[] {0, 1});

        PlacementReport report = round(0.05, 10, false).run();

        assertThat(report.applied()).isFalse();
        assertThat(report.decision()).startsWith("refused the routers' statistics")
                .contains("2 layers x 3 experts").contains("hosts layer 0 expert 3");
        assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void plansATopThreeModelFromItsExpertSets() {
        FakeMesh six = new FakeMesh(LAYERS, 6, 1);
        RoutingStatsWindow window = new RoutingStatsWindow(LAYERS, 6, java.time.Duration.ofSeconds(60), 6, CLOCK);
        for (int l = 0; l < LAYERS; l++) {
            for (int t = 0; t < 100; t++) {
                window.record(l, new GateDecision(new int[] {2, 0, 1}, new float[3]));
            }
            for (int t = 0; t < 100; t++) {
                window.record(l, new GateDecision(new int[] {5, 3, 4}, new float[3]));
            }
        }
        six.stats = window.snapshot();

        PlacementReport report = new PlacementRound(List.of(six), six,
                new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), CLOCK).run();

        assertThat(report.applied()).as(report.decision()).isTrue();
        assertThat(report.baselineScore().callModel()).isEqualTo(PlanScore.CallModel.EXPERT_SETS);
        assertThat(report.baselineScore().remoteCallsPerToken()).isEqualTo(3.0);
        // 3 partner units (1.25 x 12), at most one per service (cap 3 units): each saves one call for
        // one triple, half a layer's tokens: (2 + 2.5) / 2
        assertThat(report.candidateScore().remoteCallsPerToken()).isEqualTo(2.25);
    }

    @Test
    void aCandidateThatOnlyChangesServicesWithNoEndpointIsNotAnApplication() {
        hotPairs();
        PlacementRound round = round(0.05, 10, false);
        round.run();
        // the service that took partners loses its process (pruned in local mode): the live placement
        // lacks its co-location, but nothing runs where the candidate would put it back
        String holder = mesh.endpoints.values().stream().filter(v -> !v.partners().isEmpty()).findFirst()
                .orElseThrow().target();
        mesh.endpoints.remove(holder);
        mesh.routerView.remove(holder);
        mesh.log.clear();

        PlacementReport report = round.run();

        assertThat(report.applied()).as(report.decision()).isFalse();
        assertThat(report.decision()).startsWith("kept the live placement: the candidate changes only services"
                + " with no running endpoint");
        assertThat(report.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(mesh.log).noneMatch(e -> e.startsWith("set "));
    }
}
