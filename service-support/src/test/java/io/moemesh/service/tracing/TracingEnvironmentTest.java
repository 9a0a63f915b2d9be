package io.moemesh.service.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** How {@code moemesh.tracing.*} reaches Spring Boot's OTLP exporter, and what is refused. */
class TracingEnvironmentTest {

    @Test
    void endpointIsMappedOntoBootsExporterProperty() {
        StandardEnvironment environment = environment(Map.of(TracingEnvironment.ENDPOINT,
                "http://otel-collector:4318/v1/traces"));

        new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty(TracingEnvironment.BOOT_ENDPOINT))
                .isEqualTo("http://otel-collector:4318/v1/traces");
    }

    @Test
    void emptyEndpointLeavesBootsPropertyUnset() {
        // Boot makes its exporter whenever the property exists, even empty
        StandardEnvironment environment = environment(Map.of(TracingEnvironment.ENDPOINT, " "));

        new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.containsProperty(TracingEnvironment.BOOT_ENDPOINT)).isFalse();
    }

    @Test
    void bootsOwnPropertyWinsOverTheMapping() {
        StandardEnvironment environment = environment(Map.of(TracingEnvironment.ENDPOINT, "http://a:4318/v1/traces",
                TracingEnvironment.BOOT_ENDPOINT, "http://b:4318/v1/traces"));

        new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty(TracingEnvironment.BOOT_ENDPOINT)).isEqualTo("http://b:4318/v1/traces");
    }

    /** Spans that go nowhere still cost the decode loop: without an endpoint nothing is sampled. */
    @Test
    void withoutAnEndpointNoRequestIsSampledByDefault() {
        StandardEnvironment environment = environment(Map.of());

        new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty(TracingEnvironment.PROBABILITY)).isEqualTo("0");
    }

    @Test
    void withAnEndpointOneRequestInTenIsSampledByDefault() {
        StandardEnvironment environment = environment(Map.of(TracingEnvironment.ENDPOINT, "http://c:4318/v1/traces"));

        new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

        assertThat(environment.getProperty(TracingEnvironment.PROBABILITY)).isEqualTo("0.1");
    }

    @Test
    void anExplicitProbabilityIsKeptWithOrWithoutAnEndpoint() {
        for (Map<String, Object> given : List.<Map<String, Object>>of(Map.of(TracingEnvironment.PROBABILITY, "1.0"),
                Map.of(TracingEnvironment.PROBABILITY, "0.25", TracingEnvironment.ENDPOINT, "http://c:4318/v1/traces"))) {
            StandardEnvironment environment = environment(given);

            new TracingEnvironment().postProcessEnvironment(environment, new SpringApplication());

            assertThat(environment.getProperty(TracingEnvironment.PROBABILITY))
                    .isEqualTo(given.get(TracingEnvironment.PROBABILITY));
        }
    }

    @Test
    void propertiesDefaultToNoExportAndOneTraceInTen() {
        TracingProperties defaults = new TracingProperties(null, null);

        assertThat(defaults.otlpEndpoint()).isEmpty();
        assertThat(defaults.samplingProbability()).isEqualTo(0.1);
    }

    @Test
    void endpointThatIsNotAnHttpUrlIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> new TracingProperties("otel-collector:4317", 0.1))
                .hasMessageContaining("moemesh.tracing.otlp-endpoint").hasMessageContaining("http://");
        assertThatThrownBy(() -> new TracingProperties("", 1.5))
                .hasMessageContaining("moemesh.tracing.sampling-probability");
    }

    private static StandardEnvironment environment(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        return environment;
    }
}
