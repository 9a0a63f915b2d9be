package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PlacementReconcilerTest {

    private static final int LAYERS = 2;
    private static final int EXPERTS = 4;

    private final FakeCluster cluster = new FakeCluster(EXPERTS);
    private final PlacementReconciler reconciler = new PlacementReconciler(cluster);

    /** Service 0 also hosts expert 1 of layer 1; service 2 expert 3 of layer 0; replicas 2,1,3,1. */
    private static PlacementPlan plan() {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < EXPERTS; s++) {
            SortedSet<Unit> units = new TreeSet<>();
            for (int l = 0; l < LAYERS; l++) {
                units.add(new Unit(l, s));
            }
            hosted.add(units);
        }
        hosted.get(0).add(new Unit(1, 1));
        hosted.get(2).add(new Unit(0, 3));
        return new PlacementPlan(hosted, List.of(2, 1, 3, 1));
    }

    @Test
    void aPlanBecomesExactlyThePartnerAnnotationsAndReplicaFloorsThatDiffer() {
        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).extracting(Change::toString).containsExactly(
                "moe-mesh-expert-0 min-replicas: 1 -> 2",
                "moe-mesh-expert-2 min-replicas: 1 -> 3",
                "moe-mesh-expert-0 partner-units: (none) -> 1:1",
                "moe-mesh-expert-2 partner-units: (none) -> 3:0");
        assertThat(cluster.workloads.get("moe-mesh-expert-0").partners()).containsExactly(new Unit(1, 1));
        assertThat(cluster.workloads.get("moe-mesh-expert-2").minReplicas()).isEqualTo(3);
        assertThat(cluster.writes).hasSize(4);
        assertThat(cluster.events).hasSize(4).anyMatch(e -> e.startsWith("moe-mesh-expert-0 PartnerUnitsChanged"));
    }

    @Test
    void aSecondReconcileOfTheSamePlanWritesNothing() {
        reconciler.reconcile(plan(), false);
        cluster.writes.clear();

        assertThat(reconciler.reconcile(plan(), false)).isEmpty();
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void aDryRunReportsTheChangesAndWritesNothing() {
        List<Change> changes = reconciler.reconcile(plan(), true);

        assertThat(changes).hasSize(4);
        assertThat(cluster.writes).isEmpty();
        assertThat(cluster.events).isEmpty();
    }

    @Test
    void aConflictingWriteIsRetriedOnceOnAFreshRead() {
        cluster.conflictOnce.add("moe-mesh-expert-0");

        reconciler.reconcile(plan(), false);

        assertThat(cluster.workloads.get("moe-mesh-expert-0").partners()).containsExactly(new Unit(1, 1));
        assertThat(cluster.workloads.get("moe-mesh-expert-0").minReplicas()).isEqualTo(2);
    }

    @Test
    void aDeploymentDeletedWhileBeingReconciledIsSkippedAndTheOthersStillConverge() {
        ClusterPort vanishing = new ClusterPort() {
            @Override
            public List<ExpertWorkload> experts() {
                return cluster.experts();
            }

            @Override
            public void setPartners(ExpertWorkload w, SortedSet<Unit> partners) {
                if (w.service() == 0) {
                    cluster.workloads.remove(w.deployment());
                    throw new ConflictException(w.deployment() + " not found");
                }
                cluster.setPartners(w, partners);
            }

            @Override
            public void setMinReplicas(ExpertWorkload w, int minReplicas) {
                cluster.setMinReplicas(w, minReplicas);
            }

            @Override
            public Rollout rollout(String deployment) {
                return cluster.rollout(deployment);
            }

            @Override
            public void event(ExpertWorkload w, String reason, String message) {
                cluster.event(w, reason, message);
            }

            @Override
            public void warning(ExpertWorkload w, String reason, String message) {
                cluster.warning(w, reason, message);
            }
        };

        List<Change> changes = new PlacementReconciler(vanishing).reconcile(plan(), false);

        assertThat(cluster.workloads).doesNotContainKey("moe-mesh-expert-0");
        assertThat(changes).as("its replica target went first; its partner write found it gone")
                .noneMatch(c -> c.deployment().equals("moe-mesh-expert-0") && c.kind() == Change.Kind.PARTNER_UNITS);
        assertThat(cluster.workloads.get("moe-mesh-expert-2").partners()).containsExactly(new Unit(0, 3));
    }

    @Test
    void partnersNoLongerPlannedAreRemovedFromTheAnnotation() {
        reconciler.reconcile(plan(), false);
        List<SortedSet<Unit>> ownOnly = plan().hosted().stream().map(units -> {
            SortedSet<Unit> own = new TreeSet<>(units);
            own.removeIf(u -> u.expert() != plan().hosted().indexOf(units));
            return own;
        }).toList();

        List<Change> changes = reconciler.reconcile(new PlacementPlan(ownOnly, List.of(2, 1, 3, 1)), false);

        assertThat(changes).extracting(Change::toString).containsExactly(
                "moe-mesh-expert-0 partner-units: 1:1 -> (none)", "moe-mesh-expert-2 partner-units: 3:0 -> (none)");
        assertThat(cluster.workloads.values()).allSatisfy(w -> assertThat(w.partners()).isEmpty());
    }

    private void handEdited(String deployment, String annotation) {
        ExpertWorkload w = cluster.workloads.get(deployment);
        cluster.put(new ExpertWorkload(w.deployment(), w.service(), new TreeSet<>(), w.hpa(), w.minReplicas(), "",
                new ExpertWorkload.UnreadableAnnotation(annotation, "'" + annotation + "' is not EXPERT:LAYER")));
    }

    @Test
    void anUnreadableAnnotationIsOverwrittenWithThePlansPartnersAndTheOtherDeploymentsStillConverge() {
        handEdited("moe-mesh-expert-0", "1/1");

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).extracting(Change::toString).contains(
                "moe-mesh-expert-0 partner-units: unreadable '1/1' -> 1:1",
                "moe-mesh-expert-2 partner-units: (none) -> 3:0");
        assertThat(cluster.workloads.get("moe-mesh-expert-0").unreadable()).isNull();
        assertThat(cluster.workloads.get("moe-mesh-expert-0").partners()).containsExactly(new Unit(1, 1));
        assertThat(cluster.workloads.get("moe-mesh-expert-2").partners()).containsExactly(new Unit(0, 3));
    }

    @Test
    void anUnreadableAnnotationIsRecordedAsAWarningEventQuotingItOnItsDeploymentOnly() {
        handEdited("moe-mesh-expert-0", "1/1");

        reconciler.reconcile(plan(), false);

        assertThat(cluster.warnings).singleElement().asString()
                .startsWith("moe-mesh-expert-0 " + PlacementReconciler.UNREADABLE_REASON + ": ")
                .contains("moemesh.io/partner-units is '1/1'", "'1/1' is not EXPERT:LAYER", "partner units 1:1");
    }

    @Test
    void anUnreadableAnnotationEvenWhereThePlanWantsNoPartnersIsOverwritten() {
        handEdited("moe-mesh-expert-1", "garbage");

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).extracting(Change::toString)
                .contains("moe-mesh-expert-1 partner-units: unreadable 'garbage' -> (none)");
        assertThat(cluster.writes).contains("moe-mesh-expert-1 partners []");
    }

    @Test
    void aDryRunListsTheOverwriteOfAnUnreadableAnnotationAndRecordsNoEvent() {
        handEdited("moe-mesh-expert-0", "1/1");

        List<Change> changes = reconciler.reconcile(plan(), true);

        assertThat(changes).extracting(Change::toString).contains("moe-mesh-expert-0 partner-units: unreadable '1/1' -> 1:1");
        assertThat(cluster.writes).isEmpty();
        assertThat(cluster.warnings).isEmpty();
    }

    @Test
    void aDeploymentOfAnExpertThePlanDoesNotKnowIsLeftAlone() {
        cluster.put(new ExpertWorkload("moe-mesh-expert-9", 9, new TreeSet<>(), null, 1, ""));

        List<Change> changes = reconciler.reconcile(plan(), false);

        assertThat(changes).noneMatch(c -> c.deployment().equals("moe-mesh-expert-9"));
    }
}
