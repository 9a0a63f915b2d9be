package io.moemesh.helm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The metric-name checks of the chart's tests find the names a PromQL expression selects, and only those. */
class MetricNamesTest {

    @Test
    void findsTheSelectedMetricsButNotFunctionsLabelsOrVariables() {
        assertThat(MetricNames.referencedIn("histogram_quantile(0.99, sum by (layer, le) "
                + "(rate(moemesh_router_layer_step_seconds_bucket{namespace=\"$namespace\",layer=~\"1|2\"}[$__rate_interval])))"))
                .containsExactly("moemesh_router_layer_step_seconds_bucket");
        assertThat(MetricNames.referencedIn("sum(rate(a_total[1m])) / scalar(sum(rate(b_total{x=\"y\"}[1m])))"))
                .containsExactly("a_total", "b_total");
        assertThat(MetricNames.referencedIn("max by (plan) (moemesh_placement_calls_per_token)"))
                .containsExactly("moemesh_placement_calls_per_token");
    }

    @Test
    void expandsHistogramsIntoTheirSeriesAndKnowsNoOtherName() {
        MetricNames names = MetricNames.parse("""
                # comment
                a_seconds histogram
                b_total counter
                """);

        assertThat(names.series()).containsExactlyInAnyOrder("a_seconds_bucket", "a_seconds_count", "a_seconds_sum",
                "a_seconds_max", "b_total");
        assertThat(names.exists("a_seconds")).isFalse();
    }

    @Test
    void readsTheMetricTablesOfTheObservabilityDocs() {
        MetricNames names = MetricNames.fromObservabilityTables("""
                | histogram | bucket upper bounds (`le`) |
                | --- | --- |
                | `x_seconds`, `y_seconds` | 1 ms, +Inf |

                | Prometheus name | type | tags | meaning |
                | --- | --- | --- | --- |
                | `moemesh_router_unit_tokens_total` | counter | `layer`, `expert` | tokens |
                | `moemesh_router_layer_step_seconds` | histogram | `layer` | one step |
                | `moemesh_router_scheduler_load` | gauge | | waiting and running |
                """);

        assertThat(names.series()).containsExactlyInAnyOrder("moemesh_router_unit_tokens_total",
                "moemesh_router_layer_step_seconds_bucket", "moemesh_router_layer_step_seconds_count",
                "moemesh_router_layer_step_seconds_sum", "moemesh_router_layer_step_seconds_max",
                "moemesh_router_scheduler_load");
    }

    @Test
    void theObservabilityDocsListTheServicesMetrics() {
        MetricNames real = MetricNames.load();

        assertThat(real.series()).contains("moemesh_expert_tokens_total", "moemesh_router_unit_tokens_total",
                "moemesh_expert_batch_tokens_bucket", "moemesh_placement_rounds_total", "moemesh_router_tokens_forward_total",
                "moemesh_gateway_requests_total");
    }
}
