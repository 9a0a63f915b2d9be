package io.moemesh.service.tracing;

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
 * The sampling probability needs no code: each service's configuration maps
 * {@code moemesh.tracing.sampling-probability} onto {@code management.tracing.sampling.probability}.
 * Boot's own property, set directly, wins over this mapping.
 */
public final class TracingEnvironment implements EnvironmentPostProcessor, Ordered {

    static final String ENDPOINT = "moemesh.tracing.otlp-endpoint";
    static final String BOOT_ENDPOINT = "management.opentelemetry.tracing.export.otlp.endpoint";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String endpoint = environment.getProperty(ENDPOINT, "").strip();
        if (!endpoint.isEmpty()) {
            environment.getPropertySources().addLast(new MapPropertySource("moemesh-tracing",
                    Map.of(BOOT_ENDPOINT, endpoint)));
        }
    }

    /** After the configuration files and the environment have been read. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
