package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.proto.internal.v1.DType;
import io.moemesh.router.dispatch.DispatchProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code moemesh.router.*} as Spring binds it: defaults, and values refused with the property's name. */
class RouterPropertiesTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    private static RouterProperties bind(Map<String, String> values) {
        Map<String, String> all = new HashMap<>(values);
        all.put("moemesh.router.model-dir", MODEL.toString());
        return new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("moemesh.router", RouterProperties.class);
    }

    @Test
    void anEndpointMayHave64CallsInFlightByDefault() {
        assertThat(bind(Map.of()).dispatch().maxConcurrentCalls()).isEqualTo(64);
    }

    @Test
    void bindsExpertMaxConcurrentCallsIntoTheDispatchSettings() {
        assertThat(bind(Map.of("moemesh.router.expert-max-concurrent-calls", "3")).dispatch().maxConcurrentCalls())
                .isEqualTo(3);
    }

    @Test
    void refusesLessThanOneCallInFlightNamingTheProperty() {
        assertThatThrownBy(() -> bind(Map.of("moemesh.router.expert-max-concurrent-calls", "0")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.router.expert-max-concurrent-calls must be >= 1")
                .hasMessageContaining("got 0");
    }

    @Test
    void dispatchSettingsRefuseLessThanOneCallInFlight() {
        assertThatThrownBy(() -> new DispatchProperties(Duration.ofSeconds(5), DType.DTYPE_F32, 10, 50f,
                Duration.ofSeconds(5), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxConcurrentCalls must be >= 1, got 0");
    }
}
