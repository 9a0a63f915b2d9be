package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.kubernetes.client.openapi.ApiClient;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter's API calls against a Kubernetes API server double (fabric8's mock server in CRUD
 * mode, which speaks the real REST API): fixtures are written with the fabric8 client, the adapter
 * under test uses the official one.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesClusterTest {

    private static final String NS = "moe";
    private static final String SELECTOR = "moemesh.io/role=expert";

    KubernetesMockServer server;
    KubernetesClient fixtures;

    private KubernetesCluster cluster;

    @BeforeEach
    void setUp() {
        for (int e = 0; e < 3; e++) {
            fixtures.apps().deployments().inNamespace(NS).resource(expert(e, e == 1 ? "0:1" : null)).create();
            status("moe-mesh-expert-" + e, 2, 2, 2);
        }
        fixtures.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder().withNewMetadata()
                .withName("moe-mesh-router").withLabels(Map.of("moemesh.io/role", "router")).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("moemesh.io/role", "router"))
                .endSelector().withNewTemplate().withNewMetadata().withLabels(Map.of("moemesh.io/role", "router"))
                .endMetadata().withNewSpec().addNewContainer().withName("router").withImage("moemesh/router-service")
                .endContainer().endSpec().endTemplate().endSpec().build()).create();
        for (int e = 0; e < 2; e++) { // expert 2 has no autoscaler
            fixtures.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(
                    new HorizontalPodAutoscalerBuilder().withNewMetadata().withName("moe-mesh-expert-" + e)
                            .withLabels(Map.of("moemesh.io/role", "expert")).endMetadata().withNewSpec()
                            .withNewScaleTargetRef("apps/v1", "Deployment", "moe-mesh-expert-" + e)
                            .withMinReplicas(1).withMaxReplicas(4).endSpec().build()).create();
        }
        ApiClient client = new ApiClient().setBasePath(server.url("/").replaceAll("/$", ""));
        cluster = new KubernetesCluster(client, NS, SELECTOR, Clock.fixed(Instant.parse("2026-11-29T00:00:00Z"),
                ZoneOffset.UTC));
    }

    /**
     * A reconciler whose rollout gate, between two reads, plays the Deployment controller: every
     * expert Deployment's rollout finishes (the API double runs no controllers).
     */
    private PlacementReconciler reconciler() {
        return new PlacementReconciler(cluster, new RolloutGate(cluster, new RolloutGate.Settings(Duration.ofMinutes(1),
                Duration.ofSeconds(5)), Clock.systemUTC(), pause -> {
                    for (int e = 0; e < 3; e++) {
                        status("moe-mesh-expert-" + e, 2, 2, 2);
                    }
                }));
    }

    /** What the Deployment controller reports: pods of every template, of the current one, available. */
    private void status(String name, int replicas, int updated, int available) {
        fixtures.apps().deployments().inNamespace(NS).withName(name).editStatus(d -> {
            d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration() == null
                    ? 0 : d.getMetadata().getGeneration()).withReplicas(replicas).withUpdatedReplicas(updated)
                    .withAvailableReplicas(available).build());
            return d;
        });
    }

    @Test
    void readsARolloutAsProgressingUntilEveryReplicaRunsTheNewTemplateAndIsAvailable() {
        status("moe-mesh-expert-0", 3, 1, 2);
        assertThat(cluster.rollout("moe-mesh-expert-0").detail()).isEqualTo("1 of 2 replicas updated");

        status("moe-mesh-expert-0", 2, 2, 1);
        assertThat(cluster.rollout("moe-mesh-expert-0").state()).isEqualTo(Rollout.State.PROGRESSING);

        status("moe-mesh-expert-0", 2, 2, 2);
        assertThat(cluster.rollout("moe-mesh-expert-0").available()).isTrue();
        assertThat(workload(0).rollout().available()).as("listed with the same reading").isTrue();
    }

    @Test
    void aDeploymentWithoutStatusIsStillRollingAndAGoneOneHasNothingToWaitFor() {
        fixtures.apps().deployments().inNamespace(NS).resource(expert(7, null)).create();
        fixtures.apps().deployments().inNamespace(NS).withName("moe-mesh-expert-0").delete();

        assertThat(cluster.rollout("moe-mesh-expert-7").state()).isEqualTo(Rollout.State.PROGRESSING);
        assertThat(cluster.rollout("moe-mesh-expert-0").detail()).isEqualTo("gone");
    }

    private static Deployment expert(int e, String partners) {
        DeploymentBuilder b = new DeploymentBuilder().withNewMetadata().withName("moe-mesh-expert-" + e)
                .withLabels(Map.of("moemesh.io/role", "expert", "moemesh.io/expert", String.valueOf(e))).endMetadata()
                .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("moemesh.io/expert",
                        String.valueOf(e))).endSelector().withNewTemplate().withNewMetadata()
                .withLabels(Map.of("moemesh.io/expert", String.valueOf(e))).endMetadata().withNewSpec()
                .addNewContainer().withName("expert").withImage("moemesh/expert-service").endContainer().endSpec()
                .endTemplate().endSpec();
        Deployment d = b.build();
        if (partners != null) {
            d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(ExpertWorkload.PARTNER_UNITS_ANNOTATION,
                    partners));
        }
        return d;
    }

    @Test
    void listsTheExpertDeploymentsWithTheirPartnersAndReplicaFloors() {
        List<ExpertWorkload> experts = cluster.experts();

        assertThat(experts).extracting(ExpertWorkload::deployment)
                .containsExactlyInAnyOrder("moe-mesh-expert-0", "moe-mesh-expert-1", "moe-mesh-expert-2");
        ExpertWorkload one = experts.stream().filter(w -> w.service() == 1).findFirst().orElseThrow();
        assertThat(one.partners()).containsExactly(new Unit(1, 0));
        assertThat(one.hpa()).isEqualTo("moe-mesh-expert-1");
        assertThat(one.minReplicas()).isEqualTo(1);
        ExpertWorkload two = experts.stream().filter(w -> w.service() == 2).findFirst().orElseThrow();
        assertThat(two.hpa()).isNull();
        assertThat(two.minReplicas()).as("no autoscaler: the Deployment's replicas").isEqualTo(2);
        assertThat(two.resourceVersion()).isNotBlank();
    }

    @Test
    void writesThePartnerAnnotationOfThePodTemplateAndLeavesTheRestAlone() {
        ExpertWorkload zero = workload(0);

        cluster.setPartners(zero, new TreeSet<>(List.of(new Unit(0, 3), new Unit(2, 5))));

        Deployment d = fixtures.apps().deployments().inNamespace(NS).withName("moe-mesh-expert-0").get();
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(ExpertWorkload.PARTNER_UNITS_ANNOTATION, "3:0,5:2");
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("moemesh.io/expert", "0");
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    void aDeploymentThatIsGoneIsAConflictNotAFailure() {
        ExpertWorkload zero = workload(0);
        fixtures.apps().deployments().inNamespace(NS).withName("moe-mesh-expert-0").delete();

        assertThatThrownBy(() -> cluster.setPartners(zero, new TreeSet<>(List.of(new Unit(0, 3)))))
                .isInstanceOf(ClusterPort.ConflictException.class).hasMessageContaining("moe-mesh-expert-0");
    }

    @Test
    void setsTheAutoscalersMinReplicasOrTheDeploymentsReplicasWithoutOne() {
        cluster.setMinReplicas(workload(0), 3);
        cluster.setMinReplicas(workload(2), 4);

        assertThat(fixtures.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("moe-mesh-expert-0")
                .get().getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(fixtures.apps().deployments().inNamespace(NS).withName("moe-mesh-expert-2").get().getSpec()
                .getReplicas()).isEqualTo(4);
    }

    @Test
    void recordsAnEventOnTheDeployment() {
        cluster.event(workload(0), "PartnerUnitsChanged", "placement: partner units (none) -> 3:0");

        assertThat(fixtures.v1().events().inNamespace(NS).list().getItems()).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("PartnerUnitsChanged");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Deployment");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("moe-mesh-expert-0");
            assertThat(e.getSource().getComponent()).isEqualTo("moe-mesh-placement-controller");
        });
    }

    @Test
    void theReconcilerConvergesTheClusterThroughTheRealApiAndThenWritesNothing() {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s))));
        }
        hosted.get(0).add(new Unit(1, 2));
        PlacementReconciler reconciler = reconciler();
        PlacementPlan plan = new PlacementPlan(hosted, List.of(2, 1, 2));

        List<Change> first = reconciler.reconcile(plan, false);
        List<Change> second = reconciler.reconcile(plan, false);

        assertThat(first).extracting(Change::toString).containsExactlyInAnyOrder(
                "moe-mesh-expert-0 partner-units: (none) -> 2:1", "moe-mesh-expert-0 min-replicas: 1 -> 2",
                "moe-mesh-expert-1 partner-units: 0:1 -> (none)");
        assertThat(second).isEmpty();
        assertThat(workload(1).partners()).isEmpty();
        assertThat(fixtures.v1().events().inNamespace(NS).list().getItems()).hasSize(3);
    }

    private void handEdit(int expert, String partnerUnits) {
        fixtures.apps().deployments().inNamespace(NS).withName("moe-mesh-expert-" + expert).edit(d -> {
            d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(ExpertWorkload.PARTNER_UNITS_ANNOTATION,
                    partnerUnits));
            return d;
        });
    }

    @Test
    void readsEveryDeploymentWhenOneAnnotationCannotBeReadAndMarksThatOne() {
        handEdit(2, "1;0");

        List<ExpertWorkload> experts = cluster.experts();

        assertThat(experts).hasSize(3);
        assertThat(workload(1).partners()).containsExactly(new Unit(1, 0));
        assertThat(workload(1).unreadable()).isNull();
        assertThat(workload(2).partners()).isEmpty();
        assertThat(workload(2).unreadable()).isEqualTo(new ExpertWorkload.UnreadableAnnotation("1;0",
                "'1;0' is not EXPERT:LAYER (e.g. 7:1)"));
    }

    @Test
    void aReconcileWithOneUnreadableAnnotationAppliesTheOthersAndRecordsAWarningEventOnThatDeployment() {
        handEdit(2, "1;0");
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s))));
        }
        hosted.get(0).add(new Unit(1, 2));

        reconciler().reconcile(new PlacementPlan(hosted, List.of(1, 1, 2)), false);

        assertThat(workload(0).partners()).as("the good Deployment is applied").containsExactly(new Unit(1, 2));
        assertThat(workload(2).unreadable()).as("the unreadable one is overwritten with the plan's").isNull();
        assertThat(fixtures.v1().events().inNamespace(NS).list().getItems())
                .filteredOn(e -> "Warning".equals(e.getType())).singleElement().satisfies(e -> {
                    assertThat(e.getReason()).isEqualTo("PartnerUnitsUnreadable");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("moe-mesh-expert-2");
                    assertThat(e.getMessage()).contains("'1;0'", "not EXPERT:LAYER");
                });
    }

    private ExpertWorkload workload(int service) {
        return cluster.experts().stream().filter(w -> w.service() == service).findFirst().orElseThrow();
    }
}
