package io.moemesh.service.tracing;

import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Maps {@code moemesh.tracing.otlp-endpoint} onto Spring Boot's
 * {@code management.opentelemetry.tracing.export.otlp.endpoint}, but only when it is set: Boot makes
 * its OTLP span exporter whenever that property exists, even empty, and an exporter without a
 * collector fails or retries. Without an endpoint no exporter exists and nothing connects anywhere.
 *
 * <p>Also gives {@code moemesh.tracing.sampling-probability} its default, which each service's
 * configuration maps onto {@code management.tracing.sampling.probability}: 0.1 with an endpoint, and
 * 0 without one, because spans that go nowhere still cost the decode loop. Sampling is per request
 * but a traced request's spans cover every batch step it shares, so at 10 % nearly every step of a
 * busy router is traced: with no endpoint, `moe up`'s decode ran at about half the tokens/s at 1, 8
 * and 32 streams (docs/observability.md#where-traces-start-and-sampling). A probability set
 * explicitly is kept, and Boot's own properties, set directly, win over this mapping.
 */
public final class TracingEnvironment implements EnvironmentPostProcessor, Ordered {

    static final String ENDPOINT = "moemesh.tracing.otlp-endpoint";
    static final String BOOT_ENDPOINT = "management.opentelemetry.tracing.export.otlp.endpoint";
    static final String PROBABILITY = "moemesh.tracing.sampling-probability";
    /** Share of requests traced when spans are exported and no probability is set. */
    static final String EXPORTED_DEFAULT = "0.1";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String endpoint = environment.getProperty(ENDPOINT, "").strip();
        Map<String, Object> defaults = new HashMap<>();
        if (!endpoint.isEmpty()) {
            defaults.put(BOOT_ENDPOINT, endpoint);
        }
        if (!environment.containsProperty(PROBABILITY)) {
            defaults.put(PROBABILITY, endpoint.isEmpty() ? "0" : EXPORTED_DEFAULT);
        }
        if (!defaults.isEmpty()) {
            environment.getPropertySources().addLast(new MapPropertySource("moemesh-tracing", defaults));
        }
    }

    /** After the configuration files and the environment have been read. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
