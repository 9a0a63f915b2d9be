package io.moemesh.helm;

import static io.moemesh.helm.Manifests.arg;
import static io.moemesh.helm.Manifests.mainContainer;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Names and selectors under long release names (Helm allows 53 characters) and beside a second
 * moe-mesh in the same release: before, "<45..53 characters>-moe-mesh-expert-1" and "...-expert-10"
 * were cut to the same 63-character name.
 */
class ReleaseNameTest {

    private static Manifests renderAs(String release) {
        return Chart.withDefaults().release(release).render();
    }

    @ParameterizedTest
    @ValueSource(ints = {45, 49, 53})
    void objectNamesOfOneKindStayDistinctUnderALongReleaseName(int length) {
        Manifests manifests = renderAs("r".repeat(length));

        Map<String, List<String>> namesByKind = manifests.objects().stream().collect(Collectors.groupingBy(
                KubernetesObject::getKind, Collectors.mapping(o -> o.getMetadata().getName(), Collectors.toList())));
        namesByKind.forEach((kind, names) -> assertThat(names).as(kind).doesNotHaveDuplicates());
        assertThat(manifests.names(V1Deployment.class)).hasSize(16 + 3);
    }

    @ParameterizedTest
    @ValueSource(ints = {45, 53})
    void everyServiceAndDeploymentNameIsADnsLabelEndingInItsComponent(int length) {
        Manifests manifests = renderAs("r".repeat(length));

        List<String> names = new java.util.ArrayList<>(manifests.names(V1Service.class));
        names.addAll(manifests.names(V1Deployment.class));
        assertThat(names).allSatisfy(name -> assertThat(name).hasSizeLessThanOrEqualTo(63)
                .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
        assertThat(manifests.names(V1Deployment.class)).anyMatch(n -> n.endsWith("-expert-1"))
                .anyMatch(n -> n.endsWith("-expert-10")).anyMatch(n -> n.endsWith("-router"))
                .anyMatch(n -> n.endsWith("-gateway")).anyMatch(n -> n.endsWith("-placement-controller"));
    }

    @Test
    void aShortReleaseNameKeepsTodaysNames() {
        Manifests manifests = renderAs("moe-mesh");

        assertThat(manifests.names(V1Deployment.class)).contains("moe-mesh-expert-0", "moe-mesh-expert-15",
                "moe-mesh-router", "moe-mesh-gateway", "moe-mesh-placement-controller");
        assertThat(manifests.names(V1Service.class)).contains("moe-mesh-gateway-metrics");
    }

    @Test
    void expertSelectorsOfRoutersAndControllerNameTheChart() {
        Manifests manifests = Chart.withDefaults().set("nameOverride", "mesh-b").render();
        String selector = "app.kubernetes.io/name=mesh-b,app.kubernetes.io/instance=moe-mesh,moemesh.io/role=expert";

        V1Deployment router = manifests.deployments("router").getFirst();
        V1Deployment controller = manifests.deployments("controller").getFirst();
        assertThat(arg(mainContainer(router), "moemesh.router.kubernetes.label-selector")).isEqualTo(selector);
        assertThat(arg(mainContainer(controller), "moemesh.controller.expert-selector")).isEqualTo(selector);
        assertThat(manifests.deployments("expert")).allSatisfy(d -> assertThat(Manifests.podLabels(d))
                .containsEntry("app.kubernetes.io/name", "mesh-b"));
    }

    @Test
    void everySelectorOfTheChartNamesTheChart() {
        Manifests manifests = Chart.withDefaults().render();

        assertThat(manifests.all(V1Deployment.class)).allSatisfy(d -> assertThat(d.getSpec().getSelector().getMatchLabels())
                .containsEntry("app.kubernetes.io/name", "moe-mesh"));
        assertThat(manifests.all(V1Service.class)).allSatisfy(s -> assertThat(s.getSpec().getSelector())
                .containsEntry("app.kubernetes.io/name", "moe-mesh"));
        assertThat(manifests.all(V1NetworkPolicy.class)).allSatisfy(np -> assertThat(np.getSpec().getPodSelector()
                .getMatchLabels()).as(np.getMetadata().getName()).containsEntry("app.kubernetes.io/name", "moe-mesh"));
    }

    @Test
    void theServiceMonitorSelectsOnlyThisChartsServices() {
        DynamicKubernetesObject monitor = Chart.withDefaults().set("metrics.serviceMonitor.enabled", true)
                .values("networkPolicy: {metrics: {from: [{namespaceSelector: {}}]}}").render().custom("ServiceMonitor").getFirst();

        assertThat(monitor.getRaw().getAsJsonObject("spec").getAsJsonObject("selector").getAsJsonObject("matchLabels")
                .get("app.kubernetes.io/name").getAsString()).isEqualTo("moe-mesh");
    }
}
