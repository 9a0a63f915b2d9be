package io.moemesh.helm;

import static io.moemesh.helm.Manifests.expertName;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import org.junit.jupiter.api.Test;

/**
 * With the placement controller applying plans, the chart leaves the replica field the controller
 * writes unrendered, so that a helm upgrade or a GitOps sync never resets it, and renders the
 * operator's value as the floor annotation the controller respects (docs/kubernetes.md, "GitOps
 * and the controller").
 */
class ControllerReplicaFieldsTest {

    private static final String FLOOR = "moemesh.io/replica-floor";

    private static Chart applying() {
        return Chart.withDefaults().set("placementController.dryRun", false);
    }

    @Test
    void anApplyingControllerOwnsTheHpaMinReplicasAndTheChartRendersTheFloorAnnotation() {
        Manifests manifests = applying().values("""
                experts:
                  overrides:
                    "5":
                      autoscaling: {minReplicas: 2, maxReplicas: 9}
                """).render();

        V2HorizontalPodAutoscaler five = manifests.named(V2HorizontalPodAutoscaler.class, expertName(5));
        assertThat(five.getSpec().getMinReplicas()).as("the controller's field").isNull();
        assertThat(five.getSpec().getMaxReplicas()).isEqualTo(9);
        assertThat(five.getMetadata().getAnnotations()).containsEntry(FLOOR, "2");
        assertThat(manifests.named(V2HorizontalPodAutoscaler.class, expertName(6)).getMetadata().getAnnotations())
                .containsEntry(FLOOR, "1");
    }

    @Test
    void aDryRunControllerWritesNothingSoTheChartRendersMinReplicas() {
        Manifests manifests = Chart.withDefaults().set("placementController.dryRun", true).render();

        V2HorizontalPodAutoscaler zero = manifests.named(V2HorizontalPodAutoscaler.class, expertName(0));
        assertThat(zero.getSpec().getMinReplicas()).isEqualTo(1);
        assertThat(zero.getMetadata().getAnnotations()).containsEntry(FLOOR, "1");
    }

    @Test
    void withoutTheControllerTheChartRendersMinReplicas() {
        Manifests manifests = applying().set("placementController.enabled", false).render();

        assertThat(manifests.named(V2HorizontalPodAutoscaler.class, expertName(0)).getSpec().getMinReplicas())
                .isEqualTo(1);
    }

    @Test
    void withoutAnAutoscalerTheControllerOwnsTheDeploymentsReplicasAboveTheAnnotatedFloor() {
        Manifests manifests = applying().set("experts.autoscaling.enabled", false).set("experts.replicas", 2).render();

        V1Deployment zero = manifests.named(V1Deployment.class, expertName(0));
        assertThat(zero.getSpec().getReplicas()).isNull();
        assertThat(zero.getMetadata().getAnnotations()).containsEntry(FLOOR, "2");
    }

    @Test
    void anExpertTurnedOffStaysRenderedAtZeroReplicas() {
        Manifests manifests = applying().set("experts.autoscaling.enabled", false).set("experts.replicas", 0).render();

        V1Deployment zero = manifests.named(V1Deployment.class, expertName(0));
        assertThat(zero.getSpec().getReplicas()).isZero();
        assertThat(zero.getMetadata().getAnnotations() == null ? java.util.Map.of() : zero.getMetadata().getAnnotations())
                .doesNotContainKey(FLOOR);
    }
}
