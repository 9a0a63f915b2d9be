package io.moemesh.bench.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The router's scheduler counters from its Prometheus endpoint ({@code moe up --router-http-port}). */
final class RouterMetrics {

    /** Short column name → Prometheus metric (every sample of it summed). */
    static final Map<String, String> COLUMNS = columns();

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)$",
            Pattern.MULTILINE);

    private final URI url;

    RouterMetrics(String url) {
        this.url = URI.create(url);
    }

    /** Column → value; empty when the router does not answer (it is gone, or too slow). */
    Map<String, Double> read() {
        String text;
        try {
            text = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
        Map<String, Double> sums = new LinkedHashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            String labels = m.group(2) == null ? "" : m.group(2);
            if (m.group(1).equals("jvm_memory_used_bytes") && !labels.contains("area=\"heap\"")) {
                continue;
            }
            sums.merge(m.group(1), Double.parseDouble(m.group(3)), Double::sum);
        }
        Map<String, Double> row = new LinkedHashMap<>();
        COLUMNS.forEach((column, metric) -> row.put(column, sums.getOrDefault(metric, Double.NaN)));
        return row;
    }

    private static Map<String, String> columns() {
        Map<String, String> c = new LinkedHashMap<>();
        for (String name : List.of("scheduler_load", "requests_completed_total", "requests_cancelled_total",
                "requests_failed_total", "streams_abandoned_total", "tokens_after_cancel_total",
                "tokens_after_cancel_max", "scheduler_steps_total")) {
            c.put(name, "moemesh_router_" + name);
        }
        return java.util.Collections.unmodifiableMap(c);
    }
}
