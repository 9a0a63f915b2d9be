package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The reconciler rolls one expert Deployment at a time, each only once the one before is available. */
class RolloutPacingTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofSeconds(5);

    private final FakeCluster cluster = new FakeCluster(3);
    private final ManualClock clock = new ManualClock();
    private final List<Duration> slept = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PlacementReconciler reconciler = new PlacementReconciler(cluster, new RolloutGate(cluster,
            new RolloutGate.Settings(TIMEOUT, POLL), clock, pause -> {
                slept.add(pause);
                clock.advance(pause);
            }), registry);

    /** Every service also hosts the next expert's layer-1 unit: three partner writes. */
    private static PlacementPlan plan() {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s), new Unit(1, (s + 1) % 3))));
        }
        return new PlacementPlan(hosted, List.of(1, 1, 1));
    }

    @Test
    void eachDeploymentIsWrittenOnlyAfterTheOneBeforeIsAvailable() {
        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).hasSize(3).allMatch(c -> c.kind() == Change.Kind.PARTNER_UNITS);
        assertThat(cluster.log).containsExactly("write moe-mesh-expert-0", "rollout? moe-mesh-expert-0",
                "write moe-mesh-expert-1", "rollout? moe-mesh-expert-1", "write moe-mesh-expert-2");
    }

    @Test
    void aRolloutThatNeverBecomesAvailableHoldsTheOthersBackAfterTheTimeout() {
        cluster.stuck.add("moe-mesh-expert-0");

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(cluster.writes).singleElement().asString().startsWith("moe-mesh-expert-0 partners");
        assertThat(changes).last().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(Change.Kind.ROLLOUT_WAIT);
            assertThat(c.to()).contains("not available after PT2M", "held back: moe-mesh-expert-1, moe-mesh-expert-2");
        });
        assertThat(slept).as("bounded: polls until the timeout, then stops").hasSize((int) (TIMEOUT.toSeconds()
                / POLL.toSeconds()));
        assertThat(cluster.warnings).singleElement().asString()
                .startsWith("moe-mesh-expert-0 " + PlacementReconciler.STALLED_REASON);
        assertThat(registry.get("moemesh.placement.rollouts.stalled").counter().count()).isEqualTo(1);
    }

    @Test
    void theNextRoundGoesOnOnceTheStalledRolloutFinished() {
        cluster.stuck.add("moe-mesh-expert-0");
        reconciler.reconcile(plan(), false);
        cluster.finish("moe-mesh-expert-0");

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).extracting(Change::deployment).containsExactly("moe-mesh-expert-1", "moe-mesh-expert-2");
        assertThat(cluster.workloads.values()).allSatisfy(w -> assertThat(w.partners()).hasSize(1));
    }

    @Test
    void aDeploymentStillRollingFromBeforeIsWaitedForBeforeTheFirstWrite() {
        cluster.rolling("moe-mesh-expert-2");

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(cluster.writes).isEmpty();
        assertThat(changes).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(Change.Kind.ROLLOUT_WAIT);
            assertThat(c.deployment()).isEqualTo("moe-mesh-expert-2");
        });
    }

    @Test
    void replicaTargetsAreWrittenEvenWhileARolloutHoldsThePartnersBack() {
        cluster.rolling("moe-mesh-expert-2");
        List<SortedSet<Unit>> hosted = new ArrayList<>(plan().hosted());

        reconciler.reconcile(new PlacementPlan(hosted, List.of(2, 1, 1)), false);

        assertThat(cluster.workloads.get("moe-mesh-expert-0").minReplicas()).isEqualTo(2);
    }

    @Test
    void aReplicaThatLosesItsLeaseWhileWaitingWritesNoMore() {
        java.util.concurrent.atomic.AtomicBoolean leading = new java.util.concurrent.atomic.AtomicBoolean(true);
        cluster.stuck.add("moe-mesh-expert-0");
        PlacementReconciler losing = new PlacementReconciler(cluster, new RolloutGate(cluster,
                new RolloutGate.Settings(TIMEOUT, POLL), clock, pause -> {
                    clock.advance(pause);
                    leading.set(false); // the lease went to another replica meanwhile
                }).whileLeading(leading::get));

        List<Change> changes = losing.reconcile(plan(), false);

        assertThat(cluster.writes).hasSize(1);
        assertThat(changes).last().extracting(Change::to).asString().contains("no longer leads");
    }

    @Test
    void aDryRunNeitherWritesNorWaits() {
        cluster.stuck.add("moe-mesh-expert-0");

        assertThat(reconciler.reconcile(plan(), true)).hasSize(3);
        assertThat(cluster.log).isEmpty();
        assertThat(slept).isEmpty();
    }

    @Test
    void theRolloutIsReadAsKubectlRolloutStatusReadsIt() {
        Rollout failed = Rollout.of(2, 2L, 1, 2, 1, 0, true);

        assertThat(failed.state()).isEqualTo(Rollout.State.FAILED);
        assertThat(Rollout.of(2, 1L, 1, 1, 1, 1, false).state()).as("generation not observed yet")
                .isEqualTo(Rollout.State.PROGRESSING);
        assertThat(Rollout.of(2, 2L, 2, 3, 2, 2, false).detail()).isEqualTo("1 old replicas pending termination");
        assertThat(Rollout.of(2, 2L, 2, 2, 2, 2, false).available()).isTrue();
    }
}
