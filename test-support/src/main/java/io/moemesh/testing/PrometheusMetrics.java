package io.moemesh.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A service's Prometheus endpoint ({@code /actuator/prometheus}), read by system-level tests. */
public final class PrometheusMetrics {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final URI endpoint;

    /** @param endpointUrl the exposition itself, e.g. {@code http://127.0.0.1:8082/actuator/prometheus} */
    public PrometheusMetrics(String endpointUrl) {
        this.endpoint = URI.create(endpointUrl);
    }

    /** A Spring Boot service's endpoint: {@code baseUrl} (e.g. {@code http://127.0.0.1:8082}) + /actuator/prometheus. */
    public static PrometheusMetrics ofService(String baseUrl) {
        return new PrometheusMetrics(baseUrl + "/actuator/prometheus");
    }

    /** The sum of every sample of {@code metric} whose labels contain {@code labelFilter} ("" for all). */
    public double sum(String metric, String labelFilter) {
        return sum(scrape(), metric, labelFilter);
    }

    /** The same, from a scrape already read. */
    public static double sum(String exposition, String metric, String labelFilter) {
        return find(exposition, metric, labelFilter).orElseThrow(() -> new IllegalStateException("metric " + metric
                + (labelFilter.isEmpty() ? "" : " with " + labelFilter) + " is not published"));
    }

    /** The sum of the matching samples in {@code exposition}, or empty when there is none. */
    public static OptionalDouble find(String exposition, String metric, String labelFilter) {
        Pattern line = Pattern.compile("^" + Pattern.quote(metric) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(exposition);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            if (m.group(1) == null || m.group(1).contains(labelFilter)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    /** The exposition text; IllegalStateException when the endpoint does not answer. */
    public String scrape() {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(5)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(endpoint + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
