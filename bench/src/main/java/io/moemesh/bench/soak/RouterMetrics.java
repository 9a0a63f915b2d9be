package io.moemesh.bench.soak;

import io.moemesh.testing.PrometheusMetrics;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The router's scheduler counters from its Prometheus endpoint ({@code moe up --router-http-port}). */
final class RouterMetrics {

    /** Short column name → Prometheus metric (every sample of it summed). */
    static final Map<String, String> COLUMNS = columns();

    private final PrometheusMetrics endpoint;

    RouterMetrics(String url) {
        this.endpoint = new PrometheusMetrics(url);
    }

    /** Column → value (NaN for a metric not published); empty when the router does not answer (gone, or too slow). */
    Map<String, Double> read() {
        String text;
        try {
            text = endpoint.scrape();
        } catch (IllegalStateException e) {
            return Map.of();
        }
        Map<String, Double> row = new LinkedHashMap<>();
        COLUMNS.forEach((column, metric) -> row.put(column, PrometheusMetrics.find(text, metric, "").orElse(Double.NaN)));
        return row;
    }

    private static Map<String, String> columns() {
        Map<String, String> c = new LinkedHashMap<>();
        for (String name : List.of("scheduler_load", "requests_completed_total", "requests_cancelled_total",
                "requests_failed_total", "streams_abandoned_total", "tokens_after_cancel_total",
                "tokens_after_cancel_max", "scheduler_steps_total")) {
            c.put(name, "moemesh_router_" + name);
        }
        return Collections.unmodifiableMap(c);
    }
}
