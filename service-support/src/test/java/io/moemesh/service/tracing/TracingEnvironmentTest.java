package io.moemesh.service.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
