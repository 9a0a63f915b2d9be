package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard (dashboards/moe-mesh.json) and its optional ConfigMap: every query names
 * metrics the services emit, every panel queries the dashboard's Prometheus variable.
 */
class GrafanaDashboardTest {

    private static final String CONFIG_MAP = Chart.RELEASE + "-grafana-dashboard";
    private static final String DATASOURCE = "${datasource}";
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((\\w+)");

    private static JsonObject dashboard;

    @BeforeAll
    static void read() throws IOException {
        dashboard = JsonParser.parseString(Files.readString(Chart.DIR.resolve("dashboards/moe-mesh.json")))
                .getAsJsonObject();
    }

    @Test
    void rendersNoDashboardConfigMapByDefault() {
        assertThat(Chart.withDefaults().render().names(V1ConfigMap.class)).doesNotContain(CONFIG_MAP);
    }

    @Test
    void rendersTheDashboardWithTheSidecarLabelWhenEnabled() throws IOException {
        V1ConfigMap map = Chart.withDefaults().set("metrics.grafanaDashboard.enabled", true).render()
                .named(V1ConfigMap.class, CONFIG_MAP);

        assertThat(map.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1")
                .containsEntry("app.kubernetes.io/instance", Chart.RELEASE);
        assertThat(map.getData()).containsOnlyKeys("moe-mesh.json");
        assertThat(JsonParser.parseString(map.getData().get("moe-mesh.json"))).isEqualTo(dashboard);
    }

    @Test
    void givenLabelsAndAnnotationsReplaceTheSidecarDefault() {
        V1ConfigMap map = Chart.withDefaults().values("""
                metrics:
                  grafanaDashboard:
                    enabled: true
                    labels: {grafana_dashboard: null, dashboards: moe}
                    annotations: {grafana_folder: moe-mesh}
                """).render().named(V1ConfigMap.class, CONFIG_MAP);

        assertThat(map.getMetadata().getLabels()).containsEntry("dashboards", "moe").doesNotContainKey("grafana_dashboard");
        assertThat(map.getMetadata().getAnnotations()).containsEntry("grafana_folder", "moe-mesh");
    }

    @Test
    void declaresItsSchemaVersionAPrometheusDatasourceVariableAndANamespaceVariable() {
        assertThat(dashboard.get("schemaVersion").getAsInt()).isGreaterThanOrEqualTo(36);
        JsonObject datasource = variable("datasource");
        assertThat(datasource.get("type").getAsString()).isEqualTo("datasource");
        assertThat(datasource.get("query").getAsString()).isEqualTo("prometheus");
        JsonObject namespace = variable("namespace");
        assertThat(namespace.get("type").getAsString()).isEqualTo("query");
        assertThat(namespace.getAsJsonObject("datasource").get("uid").getAsString()).isEqualTo(DATASOURCE);
    }

    @Test
    void everyPanelAndQueryUsesTheDatasourceVariable() {
        assertThat(queryPanels()).hasSizeGreaterThan(10).allSatisfy(panel -> {
            String title = panel.get("title").getAsString();
            assertThat(panel.getAsJsonObject("datasource").get("uid").getAsString()).as(title).isEqualTo(DATASOURCE);
            assertThat(panel.getAsJsonObject("datasource").get("type").getAsString()).as(title).isEqualTo("prometheus");
            assertThat(panel.getAsJsonArray("targets")).as(title).isNotEmpty().allSatisfy(target -> assertThat(
                    target.getAsJsonObject().getAsJsonObject("datasource").get("uid").getAsString()).isEqualTo(DATASOURCE));
        });
    }

    @Test
    void everyQueryNamesMetricsTheServicesEmitInTheChosenNamespace() {
        MetricNames real = MetricNames.load();
        for (String expr : expressions()) {
            Set<String> referenced = MetricNames.referencedIn(expr);

            assertThat(referenced).as(expr).isNotEmpty().allMatch(real::exists, "a metric the services emit");
            assertThat(expr).contains("namespace=\"$namespace\"");
        }
        for (String variable : List.of("namespace", "layer")) {
            Matcher metric = LABEL_VALUES.matcher(variable(variable).get("definition").getAsString());
            assertThat(metric.find()).isTrue();
            assertThat(real.exists(metric.group(1))).as(metric.group(1)).isTrue();
        }
    }

    @Test
    void chartsEveryMetricTheIssueAsksFor() {
        Set<String> charted = new TreeSet<>();
        expressions().forEach(e -> charted.addAll(MetricNames.referencedIn(e)));

        assertThat(charted).contains("moemesh_expert_tokens_total", "moemesh_router_unit_tokens_total",
                "moemesh_router_dispatch_token_sends_total", "moemesh_router_dispatch_token_layers_total",
                "moemesh_router_dispatch_bytes_total", "moemesh_router_tokens_degraded_total",
                "moemesh_router_layer_step_seconds_bucket", "moemesh_router_expert_call_latency_seconds_bucket",
                "moemesh_router_expert_calls_total", "moemesh_expert_batch_tokens_bucket",
                "moemesh_expert_queue_delay_seconds_bucket", "moemesh_placement_rounds_total",
                "moemesh_placement_calls_per_token", "moemesh_gateway_requests_total", "moemesh_gateway_errors_total",
                "moemesh_gateway_latency_seconds_bucket");
    }

    @Test
    void theExpertLoadHeatmapRepeatsPerLayerWithOneRowPerExpert() {
        JsonObject heatmap = queryPanels().stream().filter(p -> p.get("title").getAsString().startsWith("Expert load"))
                .findFirst().orElseThrow();

        assertThat(heatmap.get("type").getAsString()).isEqualTo("heatmap");
        assertThat(heatmap.get("repeat").getAsString()).isEqualTo("layer");
        String expr = heatmap.getAsJsonArray("targets").get(0).getAsJsonObject().get("expr").getAsString();
        assertThat(expr).startsWith("sum by (expert) (rate(moemesh_router_unit_tokens_total{").contains("layer=~\"$layer\"");
    }

    private static JsonObject variable(String name) {
        for (JsonElement v : dashboard.getAsJsonObject("templating").getAsJsonArray("list")) {
            if (name.equals(v.getAsJsonObject().get("name").getAsString())) {
                return v.getAsJsonObject();
            }
        }
        throw new AssertionError("no template variable " + name);
    }

    /** Every panel but rows (which group panels and query nothing). */
    private static List<JsonObject> queryPanels() {
        List<JsonObject> panels = new ArrayList<>();
        for (JsonElement p : dashboard.getAsJsonArray("panels")) {
            if (!"row".equals(p.getAsJsonObject().get("type").getAsString())) {
                panels.add(p.getAsJsonObject());
            }
        }
        return panels;
    }

    private static List<String> expressions() {
        List<String> exprs = new ArrayList<>();
        for (JsonObject panel : queryPanels()) {
            panel.getAsJsonArray("targets").forEach(t -> exprs.add(t.getAsJsonObject().get("expr").getAsString()));
        }
        return exprs;
    }
}
