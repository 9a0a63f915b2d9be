package io.moemesh.placement.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.FakeMesh;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.Traffic;
import io.moemesh.testing.ManualClock;
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
        assertThat(applied.outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(kept.outcome()).isEqualTo(Outcome.KEPT);
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

    /**
     * The tag is the round's typed outcome, never parsed from its text: which rounds end in which
     * outcome (a kept round after a failed switch, a round planned from some routers, ...) is
     * asserted where they run, in PlacementRoundTest, KubernetesModeRoundTest and PlacementLoopTest.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            APPLIED  | applied
            KEPT     | kept
            WAITING  | waiting
            DRY_RUN  | dry_run
            STANDBY  | standby
            FAILED   | failed
            """)
    void countsEachRoundUnderTheTagOfItsOutcome(Outcome outcome, String tag) {
        PlacementMetrics metrics = new PlacementMetrics(registry, new PlacementLoop(new PlacementRound(List.of(mesh),
                mesh, new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), CLOCK),
                Leadership.always("controller-a"), Duration.ofHours(1), Duration.ofHours(1), CLOCK));

        metrics.record(PlacementReport.at(CLOCK.instant(), Traffic.NONE).build(outcome, "whatever it says"));

        assertThat(rounds(tag)).isEqualTo(1);
        assertThat(registry.get("moemesh.placement.rounds").counters()).filteredOn(c -> c.count() > 0).hasSize(1);
    }

    @Test
    void anAppliedRoundIsAppliedWhateverItsText() {
        PlacementReport report = PlacementReport.at(CLOCK.instant(), Traffic.NONE).build(Outcome.APPLIED,
                "applied through Kubernetes: 2 changes");

        assertThat(report.applied()).isTrue();
        assertThat(report.outcome().tag()).isEqualTo("applied");
    }

    @Test
    void secondsSinceProgressGrowsWhileNoRoundRunsAndDropsWhenOneDoes() {
        ManualClock clock = new ManualClock();
        PlacementLoop loop = new PlacementLoop(new PlacementRound(List.of(mesh), mesh,
                new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), clock), Leadership.always("controller-a"),
                Duration.ofHours(1), Duration.ofHours(1), clock);
        new PlacementMetrics(registry, loop);
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});

        clock.advance(Duration.ofSeconds(42));
        double stalled = registry.get("moemesh.placement.seconds.since.progress").gauge().value();
        loop.runOnce();
        double afterRound = registry.get("moemesh.placement.seconds.since.progress").gauge().value();

        assertThat(stalled).isEqualTo(42.0);
        assertThat(afterRound).isZero();
    }
}
