package io.moemesh.placement.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.PruningSettings;
import io.moemesh.core.placement.Unit;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.metrics.PlacementMetrics;
import io.moemesh.placement.grpc.StatusMapper;
import io.moemesh.placement.round.InPlaceApplier;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.proto.internal.v1.PlacementStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The local step inside a planning round, and what the status reports of it. */
class LocalModeRoundTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T00:00:00Z"), ZoneOffset.UTC);

    private final LocalMesh mesh = new LocalMesh(2, 8);

    private PlacementRound round(boolean dryRun) {
        PlacementSettings settings = new PlacementSettings(1.25, 0, 2.0, 4, 0.99, 10, dryRun);
        LocalScaling local = new LocalScaling(List.of(mesh), mesh, mesh, mesh, new LocalScaling.Settings(true,
                new PruningSettings(0.25, 0.05, PruningSettings.QUARTER_OF_EXPERTS, 2, 10), 0,
                Duration.ofMillis(100), Duration.ofMillis(5)));
        return new PlacementRound(List.of(mesh), mesh, settings, CLOCK, new InPlaceApplier(mesh, local));
    }

    @Test
    void aRoundPrunesAColdExpertAfterPlacingAndTheStatusSaysSo() {
        mesh.stats = LocalMesh.stats(2, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 10);

        PlacementReport report = round(false).run();

        assertThat(report.local()).isNotNull();
        assertThat(report.local().pruned()).containsExactly(7);
        assertThat(mesh.pruned).contains(new Unit(0, 7), new Unit(1, 7));
        assertThat(mesh.processesOf(7)).isEmpty();
        PlacementStatus status = StatusMapper.toProto(new PlacementLoop.State(report, 0, null, null),
                round(false).settings());
        assertThat(status.getLocalMode()).isTrue();
        assertThat(status.getPrunedExpertsList()).containsExactly(7);
        assertThat(status.getPruningDecision()).isNotBlank();
        assertThat(status.getQualityBudget()).isEqualTo(0.05);
        assertThat(status.getReroutedShare()).isPositive().isLessThan(0.05);
        assertThat(status.getExpertProcesses()).isEqualTo(7);
        assertThat(status.getLocalDecision()).contains("stopped expert-7");
        assertThat(status.getServices(7).getPruned()).isTrue();
        assertThat(status.getServices(7).getLocalReplicas()).isZero();
        assertThat(status.getServices(0).getLocalReplicas()).isEqualTo(1);
        assertThat(status.getServices(0).getRoutingShare()).isCloseTo(1000 / 7010.0,
                org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void theGaugesCountPrunedExpertsAndLiveExpertProcesses() {
        mesh.stats = LocalMesh.stats(2, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 10);
        MeterRegistry registry = new SimpleMeterRegistry();
        PlacementLoop loop = new PlacementLoop(round(false), Leadership.always("controller-a"), Duration.ofHours(1),
                Duration.ofHours(1), CLOCK);
        new PlacementMetrics(registry, loop);
        assertThat(registry.get("moemesh.controller.pruned.experts").gauge().value()).isNaN();

        loop.runOnce();

        assertThat(registry.get("moemesh.controller.pruned.experts").gauge().value()).isEqualTo(1);
        assertThat(registry.get("moemesh.controller.expert.processes").gauge().value()).isEqualTo(7);
    }

    @Test
    void aDryRunRoundPlansTheLocalStepButChangesNothing() {
        mesh.stats = LocalMesh.stats(2, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 10);

        PlacementReport report = round(true).run();

        assertThat(report.local().decision()).startsWith("dry run: would set the pruned experts [] -> [7]");
        assertThat(mesh.pruned).isEmpty();
        assertThat(mesh.processesOf(7)).hasSize(1);
        assertThat(mesh.log).noneMatch(e -> e.startsWith("prune") || e.startsWith("stop") || e.startsWith("unlist"));
    }

    @Test
    void withoutTrafficTheLocalStepKeepsWhatIsPruned() {
        mesh.stats = LocalMesh.stats(2, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 10);
        PlacementRound round = round(false);
        round.run();
        mesh.stats = LocalMesh.stats(2, 0, 0, 0, 0, 0, 0, 0, 0);
        mesh.log.clear();

        PlacementReport report = round.run();

        assertThat(report.local().pruned()).containsExactly(7);
        assertThat(mesh.log).isEmpty();
    }
}
