package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The optional ServiceMonitor scrapes /actuator/prometheus of the Services that serve it. */
class ServiceMonitorTest {

    @Test
    void rendersNoServiceMonitorByDefault() {
        assertThat(Chart.withDefaults().render().custom("ServiceMonitor")).isEmpty();
    }

    @Test
    void scrapesTheActuatorOfRoutersGatewaysExpertsAndThePlacementController() {
        Manifests manifests = monitored().render();
        JsonObject spec = serviceMonitor(manifests).getRaw().getAsJsonObject("spec");

        JsonObject endpoint = spec.getAsJsonArray("endpoints").get(0).getAsJsonObject();
        assertThat(endpoint.get("port").getAsString()).isEqualTo("http");
        assertThat(endpoint.get("path").getAsString()).isEqualTo("/actuator/prometheus");
        assertThat(scrapedRoles(spec)).containsExactlyInAnyOrder("expert", "router", "gateway", "controller");
        // every Service of those roles with an http port is scraped; the gateway's is its -metrics one
        List<V1Service> withHttp = manifests.all(V1Service.class).stream()
                .filter(s -> s.getSpec().getPorts().stream().map(V1ServicePort::getName).anyMatch("http"::equals)).toList();
        assertThat(withHttp).extracting(s -> s.getMetadata().getName())
                .contains(Chart.RELEASE + "-router", Chart.RELEASE + "-gateway-metrics", Manifests.expertName(0),
                        Chart.RELEASE + "-placement-controller");
        assertThat(withHttp).extracting(s -> s.getMetadata().getName()).doesNotContain(Chart.RELEASE + "-gateway");
    }

    @Test
    void leavesOutRolesWhoseHttpServerIsOff() {
        Manifests manifests = monitored()
                .set("experts.web.enabled", false).render();

        assertThat(scrapedRoles(serviceMonitor(manifests).getRaw().getAsJsonObject("spec")))
                .containsExactlyInAnyOrder("router", "gateway", "controller");
        assertThat(scrapedRoles(serviceMonitor(monitored().set("placementController.web.enabled", false).render())
                .getRaw().getAsJsonObject("spec"))).containsExactlyInAnyOrder("expert", "router", "gateway");
        assertThat(scrapedRoles(serviceMonitor(monitored().set("placementController.enabled", false).render())
                .getRaw().getAsJsonObject("spec"))).containsExactlyInAnyOrder("expert", "router", "gateway");
    }

    @Test
    void prometheusMayReachTheControllersScrapedPort() {
        Manifests manifests = monitored().render();
        V1ServicePort http = manifests.named(V1Service.class, Chart.RELEASE + "-placement-controller").getSpec().getPorts()
                .stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow();
        PolicyCheck check = new PolicyCheck(manifests.all(V1NetworkPolicy.class));
        PolicyCheck.Pod controller = new PolicyCheck.Pod(Manifests.podLabels(manifests.deployments("controller").getFirst()));
        // a namespaceSelector peer admits every pod of those namespaces: any pod stands for Prometheus here
        PolicyCheck.Pod prometheus = new PolicyCheck.Pod(Map.of("app.kubernetes.io/name", "prometheus"));

        assertThat(http.getTargetPort().getStrValue()).isEqualTo("http");
        assertThat(Manifests.mainContainer(manifests.deployments("controller").getFirst()).getPorts())
                .anySatisfy(p -> assertThat(List.of(p.getName(), p.getContainerPort())).containsExactly("http", http.getPort()));
        assertThat(check.ingressAllowed(prometheus, controller, http.getPort())).isTrue();
    }

    /** A ServiceMonitor, with Prometheus's namespace admitted to the actuator ports (required with it). */
    private static Chart monitored() {
        return Chart.withDefaults().set("metrics.serviceMonitor.enabled", true).values("""
                networkPolicy:
                  metrics:
                    from:
                      - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
                """);
    }

    private static DynamicKubernetesObject serviceMonitor(Manifests manifests) {
        List<DynamicKubernetesObject> monitors = manifests.custom("ServiceMonitor");
        assertThat(monitors).singleElement().extracting(DynamicKubernetesObject::getApiVersion)
                .isEqualTo("monitoring.coreos.com/v1");
        return monitors.getFirst();
    }

    private static Set<String> scrapedRoles(JsonObject spec) {
        JsonObject expression = spec.getAsJsonObject("selector").getAsJsonArray("matchExpressions").get(0).getAsJsonObject();
        assertThat(expression.get("key").getAsString()).isEqualTo("moemesh.io/role");
        assertThat(expression.get("operator").getAsString()).isEqualTo("In");
        Set<String> roles = new HashSet<>();
        JsonArray values = expression.getAsJsonArray("values");
        for (JsonElement value : values) {
            roles.add(value.getAsString());
        }
        return roles;
    }
}
