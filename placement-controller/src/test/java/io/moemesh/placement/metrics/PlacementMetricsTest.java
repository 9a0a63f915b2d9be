package io.moemesh.placement.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.FakeMesh;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.Traffic;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlacementMetricsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T04:00:00Z"), ZoneOffset.UTC);

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final FakeMesh mesh = new FakeMesh(2, 4, 1);

    private PlacementLoop loop(long minWindowTokens) {
        PlacementLoop loop = new PlacementLoop(new PlacementRound(List.of(mesh), mesh,
                new PlacementSettings(1.25, 0, 2.0, 4, 0.05, minWindowTokens, false), CLOCK),
                Leadership.always("controller-a"), Duration.ofHours(1), Duration.ofHours(1), CLOCK);
        new PlacementMetrics(registry, loop);
        return loop;
    }

    private double rounds(String decision) {
        return registry.get("moemesh.placement.rounds").tag("decision", decision).counter().count();
    }

    private double callsPerToken(String plan) {
        return registry.get("moemesh.placement.calls.per.token").tag("plan", plan).gauge().value();
    }

    @Test
    void countsRoundsByDecisionAndKeepsTheLatestScores() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});
        PlacementLoop loop = loop(10);

        PlacementReport applied = loop.runOnce();
        PlacementReport kept = loop.runOnce();

        assertThat(applied.applied()).isTrue();
        assertThat(kept.decision()).startsWith("kept");
        assertThat(rounds("applied")).isEqualTo(1);
        assertThat(rounds("kept")).isEqualTo(1);
        assertThat(rounds("failed")).isZero();
        assertThat(registry.get("moemesh.placement.plans.applied").counter().count()).isEqualTo(1);
        assertThat(callsPerToken("live")).isEqualTo(kept.liveScore().remoteCallsPerToken());
        assertThat(callsPerToken("candidate")).isEqualTo(kept.candidateScore().remoteCallsPerToken());
        assertThat(callsPerToken("baseline")).isEqualTo(2.0); // two experts per token on two services
        assertThat(callsPerToken("observed")).isNaN(); // the fake router counts no traffic
        assertThat(registry.get("moemesh.placement.max.mean.load").gauge().value())
                .isEqualTo(kept.liveScore().maxMeanLoad());
    }

    @Test
    void everyDecisionTagExistsFromTheStart() {
        loop(10);

        assertThat(registry.get("moemesh.placement.rounds").counters()).extracting(c -> c.getId().getTag("decision"))
                .containsExactlyInAnyOrder("applied", "kept", "waiting", "dry_run", "standby", "failed");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            kept the live placement: the candidate would cut expected remote calls by 1.0%, below the 5.0% threshold | KEPT
            the routers have not switched yet, nothing released (x); kept the live placement: ... | KEPT
            the cluster already asks for this plan; rollout in progress (expected ...) | KEPT
            waiting for traffic: 12 tokens in the window, planning needs 2000 | WAITING
            nothing to place: no expert endpoint belongs to one expert service | WAITING
            planned from 1 of 2 routers (not read: router 10.0.0.7:50056: UNAVAILABLE); nothing to place: none | WAITING
            planned from 1 of 2 routers (not read: router 10.0.0.7:50056: UNAVAILABLE); kept the live placement: x | KEPT
            dry run: would apply a plan: expected remote calls 2.000 -> 1.500 | DRY_RUN
            standby: controller-b leads | STANDBY
            could not read the routers: router r:1 GetRoutingStats: UNAVAILABLE | FAILED
            refused the routers' statistics: routers serve different models | FAILED
            re-placement failed, previous partners restored: expert x SetPartnerUnits: UNAVAILABLE | FAILED
            round failed: java.lang.NullPointerException | FAILED
            """)
    void mapsTheDecisionTextToAFixedTag(String decision, Decision expected) {
        PlacementReport report = new PlacementReport(CLOCK.instant(), decision, false, null, null, null, null, null,
                null, Traffic.NONE);

        assertThat(Decision.of(report)).isEqualTo(expected);
    }

    @Test
    void anAppliedRoundIsAppliedWhateverItsText() {
        PlacementReport report = new PlacementReport(CLOCK.instant(), "applied through Kubernetes: 2 changes", true,
                null, null, null, null, null, null, Traffic.NONE);

        assertThat(Decision.of(report).tag()).isEqualTo("applied");
    }
}
