package io.moemesh.helm;

import static io.moemesh.helm.Manifests.expertName;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import io.kubernetes.client.openapi.models.V2MetricSpec;
import io.kubernetes.client.util.generic.dynamic.DynamicKubernetesObject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Experts scale on tokens per second either through an HPA on the Pods metric a prometheus-adapter
 * serves, or through KEDA ScaledObjects querying Prometheus; both on metric names the experts emit.
 */
class ExpertAutoscalingTest {

    private static final String PROMETHEUS = "http://prometheus-operated.monitoring.svc:9090";
    private static final String ADAPTER_VALUES = "prometheus-adapter-values.yaml";
    private static final Pattern SERIES_QUERY = Pattern.compile("^(\\w+)\\{namespace!=\"\",pod!=\"\"}$");

    @Test
    void theHpaProviderScalesEachExpertOnThePodsMetricTheAdapterServes() throws IOException {
        Manifests manifests = Chart.withDefaults().set("experts.autoscaling.metric", "tokensPerSecond").render();
        Map<String, Object> rule = adapterRule();
        @SuppressWarnings("unchecked")
        Map<String, String> name = (Map<String, String>) rule.get("name");

        assertThat(manifests.custom("ScaledObject")).isEmpty();
        for (int e = 0; e < 16; e++) {
            V2MetricSpec metric = manifests.named(V2HorizontalPodAutoscaler.class, expertName(e)).getSpec().getMetrics()
                    .getFirst();
            assertThat(metric.getType()).isEqualTo("Pods");
            assertThat(metric.getPods().getMetric().getName()).isEqualTo(name.get("as"));
            assertThat(metric.getPods().getTarget().getType()).isEqualTo("AverageValue");
            assertThat(metric.getPods().getTarget().getAverageValue().toSuffixedString()).isEqualTo("2k");
        }
    }

    @Test
    void theAdapterRuleDerivesTokensPerSecondPerPodFromTheExpertsTokenCounter() throws IOException {
        Map<String, Object> rule = adapterRule();
        @SuppressWarnings("unchecked")
        Map<String, String> name = (Map<String, String>) rule.get("name");
        Matcher series = SERIES_QUERY.matcher((String) rule.get("seriesQuery"));

        assertThat(series.matches()).as("seriesQuery %s", rule.get("seriesQuery")).isTrue();
        assertThat(series.group(1)).isEqualTo("moemesh_expert_tokens_total");
        assertThat(MetricNames.load().exists(series.group(1))).isTrue();
        assertThat(series.group(1)).matches(name.get("matches"));
        assertThat(name.get("as")).isEqualTo("moemesh_expert_tokens_per_second");
        assertThat(rule.get("metricsQuery")).isEqualTo("sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)");
        assertThat(rule.get("resources")).isEqualTo(Map.of("overrides",
                Map.of("namespace", Map.of("resource", "namespace"), "pod", Map.of("resource", "pod"))));
    }

    @Test
    void theKedaProviderRendersAScaledObjectPerExpertInsteadOfItsHpa() {
        Manifests manifests = keda().values("""
                experts:
                  overrides:
                    "5":
                      autoscaling: {minReplicas: 2, maxReplicas: 9}
                """).render();
        List<DynamicKubernetesObject> scaled = manifests.custom("ScaledObject");

        assertThat(scaled).hasSize(16).allSatisfy(s -> assertThat(s.getApiVersion()).isEqualTo("keda.sh/v1alpha1"));
        assertThat(manifests.names(V2HorizontalPodAutoscaler.class)).noneMatch(n -> n.contains("-expert-"))
                .contains(Chart.RELEASE + "-router", Chart.RELEASE + "-gateway");
        JsonObject five = spec(manifests, 5);
        assertThat(five.getAsJsonObject("scaleTargetRef").get("name").getAsString()).isEqualTo(expertName(5));
        assertThat(five.getAsJsonObject("scaleTargetRef").get("kind").getAsString()).isEqualTo("Deployment");
        assertThat(List.of(five.get("minReplicaCount").getAsInt(), five.get("maxReplicaCount").getAsInt()))
                .containsExactly(2, 9);
        JsonObject six = spec(manifests, 6);
        assertThat(List.of(six.get("minReplicaCount").getAsInt(), six.get("maxReplicaCount").getAsInt()))
                .containsExactly(1, 4);
    }

    @Test
    void theKedaTriggerAsksPrometheusForTheTokensPerSecondThroughTheExpertsPods() {
        JsonObject trigger = spec(keda().render(), 3).getAsJsonArray("triggers").get(0).getAsJsonObject();
        JsonObject metadata = trigger.getAsJsonObject("metadata");

        assertThat(trigger.get("type").getAsString()).isEqualTo("prometheus");
        assertThat(trigger.get("metricType").getAsString()).isEqualTo("AverageValue");
        assertThat(metadata.get("serverAddress").getAsString()).isEqualTo(PROMETHEUS);
        assertThat(metadata.get("threshold").getAsString()).isEqualTo("2000");
        assertThat(metadata.get("query").getAsString()).isEqualTo(
                "sum(rate(moemesh_expert_tokens_total{namespace=\"moe\",service=\"moe-mesh-expert-3\"}[1m]))");
        assertThat(MetricNames.referencedIn(metadata.get("query").getAsString()))
                .allMatch(MetricNames.load()::exists, "a metric the services emit").isNotEmpty();
    }

    @Test
    void theKedaQuerySelectsTheLabelsTheServiceMonitorGivesTheExpertsSeries() {
        Manifests manifests = keda().set("metrics.serviceMonitor.enabled", true).values("""
                networkPolicy:
                  metrics:
                    from:
                      - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
                """).render();
        String query = spec(manifests, 3).getAsJsonArray("triggers").get(0).getAsJsonObject()
                .getAsJsonObject("metadata").get("query").getAsString();
        // Prometheus Operator: every series of a ServiceMonitor target carries namespace=<the Service's
        // namespace> and service=<the Service's name>; expert 3's Service is scraped on its http port
        V1Service service = manifests.named(V1Service.class, expertName(3));
        JsonObject monitor = manifests.custom("ServiceMonitor").getFirst().getRaw().getAsJsonObject("spec");

        assertThat(query).contains("namespace=\"" + Chart.NAMESPACE + "\"")
                .contains("service=\"" + service.getMetadata().getName() + "\"");
        assertThat(service.getSpec().getPorts()).anySatisfy(p -> assertThat(p.getName()).isEqualTo("http"));
        assertThat(monitor.getAsJsonArray("endpoints").get(0).getAsJsonObject().get("port").getAsString()).isEqualTo("http");
        assertThat(monitor.getAsJsonObject("selector").getAsJsonArray("matchExpressions").get(0).getAsJsonObject()
                .getAsJsonArray("values").toString()).contains("\"expert\"");
    }

    @Test
    void kedasHpaKeepsTheChartsHpaNameWhichTheControllersRoleMayPatch() {
        Manifests manifests = keda().render();
        List<String> patchable = manifests.named(V1Role.class, Chart.RELEASE + "-placement-controller").getRules().stream()
                .filter(r -> r.getResources().contains("horizontalpodautoscalers") && r.getVerbs().contains("patch"))
                .map(V1PolicyRule::getResourceNames).findFirst().orElseThrow();

        assertThat(manifests.custom("ScaledObject")).allSatisfy(s -> assertThat(s.getMetadata().getAnnotations())
                .containsEntry("scaledobject.keda.sh/transfer-hpa-ownership", "true"));
        for (int e = 0; e < 16; e++) {
            String hpaName = spec(manifests, e).getAsJsonObject("advanced").getAsJsonObject("horizontalPodAutoscalerConfig")
                    .get("name").getAsString();
            assertThat(hpaName).isEqualTo(expertName(e));
            assertThat(patchable).contains(hpaName);
        }
    }

    @Test
    void theKedaProviderRequiresPrometheussAddress() {
        assertThat(keda().set("experts.autoscaling.keda.serverAddress", "").refusal())
                .contains("experts.autoscaling.keda.serverAddress is required when experts.autoscaling.provider is keda");
    }

    @Test
    void theKedaProviderRefusesAThresholdKedaCannotRead() {
        assertThat(keda().set("experts.autoscaling.targetTokensPerSecond", "2k").refusal())
                .contains("autoscaling.targetTokensPerSecond (2k) must be a plain number with provider keda");
    }

    @Test
    void cpuScalingStaysAPlainHpaWithTheKedaProvider() {
        Manifests manifests = Chart.withDefaults().set("experts.autoscaling.provider", "keda").render();

        assertThat(manifests.custom("ScaledObject")).isEmpty();
        assertThat(manifests.named(V2HorizontalPodAutoscaler.class, expertName(0)).getSpec().getMetrics().getFirst()
                .getResource().getName()).isEqualTo("cpu");
    }

    @Test
    void autoscalingOffRendersNeitherHpaNorScaledObject() {
        Manifests manifests = keda().set("experts.autoscaling.enabled", false).render();

        assertThat(manifests.custom("ScaledObject")).isEmpty();
        assertThat(manifests.names(V2HorizontalPodAutoscaler.class)).noneMatch(n -> n.contains("-expert-"));
    }

    @Test
    void tokensPerSecondNeedsTheExpertsMetricsEndpoint() {
        assertThat(keda().set("experts.web.enabled", false).refusal())
                .contains("autoscaling.metric tokensPerSecond needs experts.web.enabled");
        assertThat(Chart.withDefaults().set("experts.autoscaling.metric", "tokensPerSecond")
                .set("experts.web.enabled", false).refusal())
                .contains("autoscaling.metric tokensPerSecond needs experts.web.enabled");
        assertThat(Chart.withDefaults().set("experts.web.enabled", false).render().deployments("expert")).hasSize(16);
    }

    @Test
    void theSchemaKnowsOnlyTheTwoProviders() {
        assertThat(Chart.withDefaults().set("experts.autoscaling.provider", "adapter").refusal())
                .contains("experts.autoscaling.provider must be one of the following");
    }

    private static Chart keda() {
        return Chart.withDefaults().set("experts.autoscaling.metric", "tokensPerSecond")
                .set("experts.autoscaling.provider", "keda").set("experts.autoscaling.keda.serverAddress", PROMETHEUS);
    }

    private static JsonObject spec(Manifests manifests, int expert) {
        return manifests.custom("ScaledObject").stream().filter(s -> expertName(expert).equals(s.getMetadata().getName()))
                .findFirst().orElseThrow().getRaw().getAsJsonObject("spec");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> adapterRule() throws IOException {
        Map<String, Object> values = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(Chart.EXAMPLES.resolve(ADAPTER_VALUES)));
        Map<String, Object> rules = (Map<String, Object>) values.get("rules");
        assertThat(rules.get("default")).isEqualTo(false);
        List<Map<String, Object>> custom = (List<Map<String, Object>>) rules.get("custom");
        assertThat(custom).hasSize(1);
        return custom.getFirst();
    }
}
