package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's replica targets against a Kubernetes API server double (fabric8's mock server in
 * CRUD mode) through a simulated {@code helm upgrade}: Helm 3 patches the live object with a
 * three-way merge of the previous release's manifest, the new one and the live object, so every
 * field the chart renders is reset to the chart's value and a field it does not render keeps the
 * live value ({@link #helmUpgrade}). The chart renders the expert HPA's floor as the annotation
 * {@value Replicas#FLOOR_ANNOTATION} and leaves {@code spec.minReplicas} to the controller.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class GitOpsUpgradeTest {

    private static final String NS = "moe";
    private static final String NAME = "moe-mesh-expert-0";

    KubernetesMockServer server;
    KubernetesClient fixtures;

    private KubernetesCluster cluster;
    private PlacementReconciler reconciler;

    @BeforeEach
    void setUp() {
        fixtures.apps().deployments().inNamespace(NS).resource(deployment()).create();
        markAvailable(NAME);
        ApiClient client = new ApiClient().setBasePath(server.url("/").replaceAll("/$", ""));
        cluster = new KubernetesCluster(client, NS, "moemesh.io/role=expert",
                Clock.fixed(Instant.parse("2026-12-06T00:00:00Z"), ZoneOffset.UTC));
        reconciler = new PlacementReconciler(cluster, new RolloutGate(cluster,
                new RolloutGate.Settings(Duration.ofMinutes(1), Duration.ofSeconds(5)), Clock.systemUTC(),
                pause -> markAvailable(NAME)));
    }

    /** The expert HPA as the chart renders it with the controller enabled: no minReplicas, the floor annotated. */
    private static HorizontalPodAutoscaler chartHpa(String floor, int max) {
        return new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(NAME)
                .withLabels(Map.of("moemesh.io/role", "expert")).withAnnotations(Map.of(Replicas.FLOOR_ANNOTATION, floor))
                .endMetadata().withNewSpec().withNewScaleTargetRef("apps/v1", "Deployment", NAME)
                .withMaxReplicas(max).endSpec().build();
    }

    /** The expert HPA as the chart rendered it before: minReplicas is the chart's. */
    private static HorizontalPodAutoscaler oldChartHpa(int min, int max) {
        return new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(NAME)
                .withLabels(Map.of("moemesh.io/role", "expert")).endMetadata().withNewSpec()
                .withNewScaleTargetRef("apps/v1", "Deployment", NAME).withMinReplicas(min).withMaxReplicas(max)
                .endSpec().build();
    }

    private static Deployment deployment() {
        return new DeploymentBuilder().withNewMetadata().withName(NAME)
                .withLabels(Map.of("moemesh.io/role", "expert", "moemesh.io/expert", "0")).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of("moemesh.io/expert", "0")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("moemesh.io/expert", "0")).endMetadata()
                .withNewSpec().addNewContainer().withName("expert").withImage("moemesh/expert-service").endContainer()
                .endSpec().endTemplate().endSpec().build();
    }

    private void markAvailable(String name) {
        fixtures.apps().deployments().inNamespace(NS).withName(name).editStatus(d -> {
            long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
            int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                    .withObservedGeneration(generation).withReplicas(replicas).withUpdatedReplicas(replicas)
                    .withAvailableReplicas(replicas).withReadyReplicas(replicas).build());
            return d;
        });
    }

    private static PlacementPlan plan(int replicas) {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        hosted.add(new TreeSet<>(List.of(new Unit(0, 0), new Unit(1, 0))));
        return new PlacementPlan(hosted, List.of(replicas));
    }

    private HorizontalPodAutoscaler liveHpa() {
        return fixtures.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName(NAME).get();
    }

    /**
     * Helm 3's upgrade of one object, simulated: the live object patched with the three-way merge of
     * {@code previous} (last release's manifest), {@code next} (this release's) and the live object —
     * every field {@code next} renders takes its value, a field {@code previous} rendered and
     * {@code next} no longer does is removed, and any other live field stays. (Maps merge key by key,
     * lists are replaced whole, as a JSON merge patch does; Argo CD's sync of a rendered field does
     * the same to that field.)
     */
    private void helmUpgrade(HorizontalPodAutoscaler previous, HorizontalPodAutoscaler next) {
        var serialization = fixtures.getKubernetesSerialization();
        Map<String, Object> merged = merge(map(serialization.convertValue(previous, Map.class)),
                map(serialization.convertValue(next, Map.class)), map(serialization.convertValue(liveHpa(), Map.class)));
        fixtures.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS)
                .resource(serialization.convertValue(merged, HorizontalPodAutoscaler.class)).update();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> merge(Map<String, Object> previous, Map<String, Object> next,
            Map<String, Object> live) {
        Map<String, Object> out = new LinkedHashMap<>(live == null ? Map.of() : live);
        for (var e : next.entrySet()) {
            Object was = previous == null ? null : previous.get(e.getKey());
            Object now = live == null ? null : live.get(e.getKey());
            out.put(e.getKey(), e.getValue() instanceof Map<?, ?> m && now instanceof Map<?, ?>
                    ? merge(was instanceof Map<?, ?> ? map(was) : null, map(m), map(now)) : e.getValue());
        }
        if (previous != null) {
            previous.keySet().stream().filter(k -> !next.containsKey(k)).forEach(out::remove);
        }
        return out;
    }

    private void install(HorizontalPodAutoscaler hpa) {
        fixtures.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).resource(hpa).create();
    }

    @Test
    void theControllersTargetSurvivesAnUpgradeThatChangesWhatTheChartRenders() {
        install(chartHpa("1", 4));
        reconciler.reconcile(plan(3), false);

        helmUpgrade(chartHpa("1", 4), chartHpa("1", 5));

        assertThat(liveHpa().getSpec().getMinReplicas()).as("the controller's field").isEqualTo(3);
        assertThat(liveHpa().getSpec().getMaxReplicas()).as("the chart's field").isEqualTo(5);
        assertThat(reconciler.reconcile(plan(3), false)).as("nothing to fight over").isEmpty();
    }

    @Test
    void theOldChartsRenderedMinReplicasWasResetByEveryUpgrade() {
        install(oldChartHpa(1, 4));
        reconciler.reconcile(plan(3), false);

        helmUpgrade(oldChartHpa(1, 4), oldChartHpa(1, 4));

        assertThat(liveHpa().getSpec().getMinReplicas()).as("why the chart no longer renders it").isEqualTo(1);
    }

    @Test
    void anUpgradeThatRaisesTheFloorIsHeldFromTheNextRound() {
        install(chartHpa("1", 4));
        reconciler.reconcile(plan(1), false);

        helmUpgrade(chartHpa("1", 4), chartHpa("2", 4));
        List<Change> held = reconciler.keepBounds();

        assertThat(held).extracting(Change::toString)
                .containsExactly(NAME + " min-replicas: 1 -> 2 (now 1 below the floor 2)");
        assertThat(liveHpa().getSpec().getMinReplicas()).isEqualTo(2);
    }

    @Test
    void aFreshInstallIsLiftedToTheOperatorsFloorWithoutAPlan() {
        install(chartHpa("2", 4));

        reconciler.keepBounds();

        assertThat(liveHpa().getSpec().getMinReplicas()).isEqualTo(2);
    }

    @Test
    void aPlanAboveMaxReplicasIsWrittenAsMaxReplicasThroughTheApi() {
        install(chartHpa("1", 4));

        List<Change> changes = reconciler.reconcile(plan(6), false);

        assertThat(liveHpa().getSpec().getMinReplicas()).isEqualTo(4);
        assertThat(changes).extracting(Change::toString).contains(NAME + " min-replicas: 1 -> 4 (plan 6 above"
                + " maxReplicas 4)");
        assertThat(fixtures.v1().events().inNamespace(NS).list().getItems())
                .anyMatch(e -> "Warning".equals(e.getType()) && PlacementReconciler.CLAMPED_REASON.equals(e.getReason()));
    }

    @Test
    void readsTheFloorAndCeilingFromTheAutoscaler() {
        install(chartHpa("2", 5));

        assertThat(cluster.experts()).singleElement().satisfies(w -> {
            assertThat(w.replicas().floor()).isEqualTo(2);
            assertThat(w.replicas().max()).isEqualTo(5);
            assertThat(w.rollout().available()).isTrue();
        });
    }
}
