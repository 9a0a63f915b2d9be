package io.moemesh.service.tracing;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code moemesh.tracing.*}: where a service sends its spans and how many traces it starts. Spring
 * Boot reads them through its own properties (each service's configuration maps the probability,
 * {@link TracingEnvironment} the endpoint); this record checks them at start-up.
 *
 * @param otlpEndpoint        the collector's OTLP/HTTP traces URL ({@code http://collector:4318/v1/traces});
 *                            empty (the default): spans are not exported and nothing connects
 * @param samplingProbability share of new traces recorded, 0..1 (default 0.1)
 */
@ConfigurationProperties("moemesh.tracing")
public record TracingProperties(String otlpEndpoint, Double samplingProbability) {

    public TracingProperties {
        otlpEndpoint = otlpEndpoint == null ? "" : otlpEndpoint.strip();
        samplingProbability = samplingProbability == null ? 0.1 : samplingProbability;
        if (!otlpEndpoint.isEmpty() && !otlpEndpoint.startsWith("http://") && !otlpEndpoint.startsWith("https://")) {
            throw new IllegalArgumentException("moemesh.tracing.otlp-endpoint must be an http:// or https:// URL"
                    + " (the collector's OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces), got '"
                    + otlpEndpoint + "'");
        }
        if (!(samplingProbability >= 0 && samplingProbability <= 1)) {
            throw new IllegalArgumentException("moemesh.tracing.sampling-probability must be between 0 and 1, got "
                    + samplingProbability);
        }
    }
}
