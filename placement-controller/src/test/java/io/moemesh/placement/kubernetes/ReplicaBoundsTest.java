package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Replica targets stay within the operator's floor and the autoscaler's maxReplicas. */
class ReplicaBoundsTest {

    private final FakeCluster cluster = new FakeCluster(2);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PlacementReconciler reconciler = new PlacementReconciler(cluster,
            RolloutGate.sleeping(cluster, RolloutGate.DEFAULTS), registry);

    /** Every service hosts only its own units; replica targets as given. */
    private static PlacementPlan plan(int... replicas) {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int s = 0; s < replicas.length; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s))));
            counts.add(replicas[s]);
        }
        return new PlacementPlan(hosted, counts);
    }

    @Test
    void aTargetAboveTheAutoscalersMaxReplicasIsClampedAndReportedAsAWarning() {
        cluster.bounds("moe-mesh-expert-0", 1, 3);

        List<Change> changes = reconciler.reconcile(plan(4, 1), false);

        assertThat(changes).extracting(Change::toString)
                .containsExactly("moe-mesh-expert-0 min-replicas: 1 -> 3 (plan 4 above maxReplicas 3)");
        assertThat(cluster.workloads.get("moe-mesh-expert-0").minReplicas()).isEqualTo(3);
        assertThat(cluster.warnings).singleElement().asString()
                .startsWith("moe-mesh-expert-0 " + PlacementReconciler.CLAMPED_REASON)
                .contains("replica target 4 above maxReplicas 3");
        assertThat(registry.get("moemesh.placement.replica.targets.clamped").counter().count()).isEqualTo(1);
    }

    @Test
    void aTargetBelowTheOperatorsFloorBecomesTheFloor() {
        cluster.bounds("moe-mesh-expert-1", 2, 4);

        List<Change> changes = reconciler.reconcile(plan(1, 1), false);

        assertThat(changes).extracting(Change::toString)
                .containsExactly("moe-mesh-expert-1 min-replicas: 1 -> 2 (plan 1 below the floor 2)");
        assertThat(cluster.workloads.get("moe-mesh-expert-1").minReplicas()).isEqualTo(2);
        assertThat(cluster.warnings).isEmpty();
    }

    @Test
    void aPlanWithinTheBoundsIsWrittenAsIs() {
        cluster.bounds("moe-mesh-expert-0", 2, 4);

        assertThat(reconciler.reconcile(plan(3, 1), false)).extracting(Change::toString)
                .containsExactly("moe-mesh-expert-0 min-replicas: 1 -> 3");
    }

    @Test
    void aClampedTargetAlreadyInPlaceWritesNothing() {
        cluster.bounds("moe-mesh-expert-0", 1, 3);
        reconciler.reconcile(plan(4, 1), false);
        cluster.writes.clear();

        assertThat(reconciler.reconcile(plan(4, 1), false)).isEmpty();
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void keepingTheBoundsRaisesACountBelowItsFloorWithoutAPlan() {
        cluster.bounds("moe-mesh-expert-1", 3, 4);

        List<Change> changes = reconciler.keepBounds();

        assertThat(changes).extracting(Change::toString)
                .containsExactly("moe-mesh-expert-1 min-replicas: 1 -> 3 (now 1 below the floor 3)");
        assertThat(cluster.workloads.get("moe-mesh-expert-0").minReplicas()).as("within bounds: untouched")
                .isEqualTo(1);
    }

    @Test
    void keepingTheBoundsLeavesAPlannedCountWithinThemAlone() {
        cluster.bounds("moe-mesh-expert-0", 1, 4);
        reconciler.reconcile(plan(3, 1), false);
        cluster.writes.clear();

        assertThat(reconciler.keepBounds()).isEmpty();
        assertThat(cluster.workloads.get("moe-mesh-expert-0").minReplicas()).isEqualTo(3);
    }

    @Test
    void theMaxWinsOverAFloorAboveIt() {
        assertThat(new Replicas(1, 5, 3).target(1)).isEqualTo(3);
        assertThat(new Replicas(1, 2, 3).target(7)).isEqualTo(3);
        assertThat(Replicas.of(1).target(9)).isEqualTo(9);
    }
}
