package io.moemesh.helm;

import static io.moemesh.helm.Manifests.expertName;
import static io.moemesh.helm.Manifests.mainContainer;
import static io.moemesh.helm.Manifests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.kubernetes.client.openapi.models.V2MetricSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** helm/examples/values-gpu.yaml: GPU settings reach expert pods, and only them; per-expert overrides. */
class GpuValuesTest {

    private static final String GPU = "nvidia.com/gpu";

    private static Manifests gpu;

    @BeforeAll
    static void render() {
        gpu = Chart.withDefaults().example("values-gpu.yaml").render();
    }

    @Test
    void expertPodsAskForAGpuAndLandOnGpuNodes() {
        V1Deployment expert = gpu.named(V1Deployment.class, expertName(0));
        V1PodSpec pod = pod(expert);

        assertThat(mainContainer(expert).getResources().getLimits()).containsEntry(GPU, new Quantity("1"));
        assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
        assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod.getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo(GPU);
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
    }

    @Test
    void noOtherPodGetsAnyGpuSetting() {
        List<V1Deployment> others = gpu.all(V1Deployment.class).stream()
                .filter(d -> !"expert".equals(Manifests.podLabels(d).get("moemesh.io/role"))).toList();

        assertThat(others).hasSize(3).allSatisfy(d -> {
            assertThat(Manifests.allContainers(d)).allSatisfy(c -> assertThat(limits(c.getResources() == null ? null
                    : c.getResources().getLimits())).doesNotContainKey(GPU));
            assertThat(pod(d).getRuntimeClassName()).isNull();
            assertThat(pod(d).getNodeSelector()).isNullOrEmpty();
            assertThat(pod(d).getTolerations()).isNullOrEmpty();
        });
    }

    @Test
    void anOverrideGivesOneExpertTwoGpusAndWiderScalingBounds() {
        V2HorizontalPodAutoscaler three = gpu.named(V2HorizontalPodAutoscaler.class, expertName(3));

        assertThat(mainContainer(gpu.named(V1Deployment.class, expertName(3))).getResources().getLimits())
                .containsEntry(GPU, new Quantity("2")).containsEntry("memory", new Quantity("8Gi"));
        assertThat(three.getSpec().getMinReplicas()).isEqualTo(2);
        assertThat(three.getSpec().getMaxReplicas()).isEqualTo(8);
        // the override touches bounds only: the metric still comes from experts.autoscaling
        assertThat(three.getSpec().getMetrics()).singleElement().extracting(V2MetricSpec::getType).isEqualTo("Pods");
    }

    @Test
    void anExpertOverriddenToCpuKeepsNoGpuSetting() {
        V1Deployment twelve = gpu.named(V1Deployment.class, expertName(12));

        assertThat(mainContainer(twelve).getResources().getLimits()).doesNotContainKey(GPU);
        assertThat(pod(twelve).getRuntimeClassName()).isNull();
        assertThat(pod(twelve).getNodeSelector()).isNullOrEmpty();
        assertThat(pod(twelve).getTolerations()).isNullOrEmpty();
    }

    @Test
    void expertsScaleOnTheirTokensPerSecondMetric() {
        assertThat(gpu.all(V2HorizontalPodAutoscaler.class)).filteredOn(h -> h.getMetadata().getName().contains("-expert-"))
                .hasSize(16).allSatisfy(hpa -> assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(metric -> {
                    assertThat(metric.getType()).isEqualTo("Pods");
                    assertThat(metric.getPods().getMetric().getName()).isEqualTo("moemesh_expert_tokens_per_second");
                    assertThat(metric.getPods().getTarget().getType()).isEqualTo("AverageValue");
                    assertThat(metric.getPods().getTarget().getAverageValue()).isEqualTo(new Quantity("1500"));
                }));
    }

    @Test
    void expertsScaleOnCpuUtilizationByDefault() {
        Manifests defaults = Chart.withDefaults().render();

        assertThat(defaults.all(V2HorizontalPodAutoscaler.class)).hasSize(18).allSatisfy(hpa ->
                assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(metric -> {
                    assertThat(metric.getType()).isEqualTo("Resource");
                    assertThat(metric.getResource().getName()).isEqualTo("cpu");
                    assertThat(metric.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
                }));
        // CPU utilization is relative to the request: every autoscaled pod has one
        assertThat(defaults.all(V1Deployment.class)).filteredOn(d -> d.getSpec().getReplicas() == null)
                .allSatisfy(d -> assertThat(mainContainer(d).getResources().getRequests()).containsKey("cpu"));
    }

    @Test
    void gpuSettingsAlsoApplyToAnExplicitExpertList() {
        Manifests listed = Chart.withDefaults().example("values-gpu.yaml").values("experts:\n  list: [3, 7, 12]\n").render();

        assertThat(listed.deployments("expert")).hasSize(3);
        assertThat(mainContainer(listed.named(V1Deployment.class, expertName(7))).getResources().getLimits())
                .containsEntry(GPU, new Quantity("1"));
        assertThat(mainContainer(listed.named(V1Deployment.class, expertName(3))).getResources().getLimits())
                .containsEntry(GPU, new Quantity("2"));
        assertThat(mainContainer(listed.named(V1Deployment.class, expertName(12))).getResources().getLimits())
                .doesNotContainKey(GPU);
    }

    private static Map<String, Quantity> limits(Map<String, Quantity> limits) {
        return limits == null ? Map.of() : limits;
    }
}
