package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayPropertiesTest {

    @Test
    void everyOptionButRoutersHasADefault() {
        GatewayProperties properties = GatewayProperties.withRouters(List.of("localhost:50071"));

        assertThat(properties.grpcPort()).isEqualTo(50051);
        assertThat(properties.apiKeys()).isEmpty();
        assertThat(properties.rateLimit()).isEqualTo(new GatewayProperties.RateLimit(20, Duration.ofSeconds(1)));
        assertThat(properties.requestLimits())
                .isEqualTo(new io.moemesh.proto.validation.RequestLimits(32_768, 8_192, 2_048, 256, 8));
        assertThat(properties.defaultDeadline()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void missingRoutersStopStartUpWithAnExample() {
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.gateway.routers is required")
                .hasMessageContaining("--moemesh.gateway.routers=localhost:50071");
    }

    @Test
    void routerWithoutPortIsRejectedNamingIt() {
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("router-0")))
                .hasMessageContaining("'router-0'");
    }

    @Test
    void blankApiKeysAreDropped() {
        GatewayProperties properties = new GatewayProperties(null, List.of("r:1"), List.of(" a ", "", "  "), null, null,
                null, null, null, null, null, null);

        assertThat(properties.apiKeys()).containsExactly("a");
    }

    @Test
    void defaultMaxTokensAboveTheLimitIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties(null, List.of("r:1"), null, null, null, null, 100, 200, null, null,
                null)).hasMessageContaining("moemesh.gateway.default-max-tokens");
    }

    @Test
    void zeroRateLimitIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties.RateLimit(0, null))
                .hasMessageContaining("moemesh.gateway.rate-limit.limit-for-period");
    }
}
