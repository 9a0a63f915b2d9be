package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.gateway.access.CallerQuotas;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayPropertiesTest {

    private static final String KEY = InProcessGateway.KEY;

    @Test
    void everyOptionButRoutersAndKeysHasADefault() {
        GatewayProperties properties = GatewayProperties.withRouters(List.of("localhost:50071"), List.of(KEY));

        assertThat(properties.grpcPort()).isEqualTo(50051);
        assertThat(properties.apiKeys()).containsExactly(KEY);
        assertThat(properties.apiKeysFile()).isNull();
        assertThat(properties.apiKeysReloadInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(properties.allowUnauthenticated()).isFalse();
        assertThat(properties.authFailures()).isEqualTo(new GatewayProperties.AuthFailures(10, Duration.ofMinutes(1),
                10_000));
        assertThat(properties.rateLimit()).isEqualTo(new GatewayProperties.RateLimit(20, Duration.ofSeconds(1)));
        assertThat(properties.callerLimits()).isEqualTo(new GatewayProperties.CallerLimits(16, 120_000));
        assertThat(properties.limitShare()).isEqualTo(1);
        assertThat(properties.requestLimits())
                .isEqualTo(new io.moemesh.proto.validation.RequestLimits(32_768, 8_192, 2_048, 256, 8));
        assertThat(properties.defaultDeadline()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void missingRoutersStopStartUpWithAnExample() {
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of(), List.of(KEY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.gateway.routers is required")
                .hasMessageContaining("--moemesh.gateway.routers=localhost:50071");
    }

    @Test
    void routerWithoutPortIsRejectedNamingIt() {
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("router-0"), List.of(KEY)))
                .hasMessageContaining("'router-0'");
    }

    @Test
    void aDnsTargetNeedsAHostAndPortAndNoPath() {
        assertThat(GatewayProperties.withRouters(List.of("dns:///moe-router-headless:50071"), List.of(KEY)).routers())
                .containsExactly("dns:///moe-router-headless:50071");
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("dns:///moe-router-headless"), List.of(KEY)))
                .hasMessageContaining("host:port or dns:///host:port");
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("dns:///8.8.8.8/router:1"), List.of(KEY)))
                .hasMessageContaining("'dns:///8.8.8.8/router:1'");
    }

    @Test
    void noKeysStopStartUpNamingTheThreeSettings() {
        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("r:1"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("moemesh.gateway.api-keys-file")
                .hasMessageContaining("moemesh.gateway.api-keys (env MOEMESH_API_KEYS)")
                .hasMessageContaining("moemesh.gateway.allow-unauthenticated=true");
    }

    @Test
    void blankApiKeysAreDropped() {
        GatewayProperties properties = GatewayProperties.withRouters(List.of("r:1"), List.of(" " + KEY + " ", "", "  "));

        assertThat(properties.apiKeys()).containsExactly(KEY);
    }

    @Test
    void keyShorterThan32CharactersStopsStartUpByFingerprint() {
        String shortKey = "a".repeat(31);

        assertThatThrownBy(() -> GatewayProperties.withRouters(List.of("r:1"), List.of(shortKey)))
                .hasMessageContaining("moemesh.gateway.api-keys")
                .hasMessageContaining("31 characters; keys must be at least 32")
                .hasMessageNotContaining(shortKey);
    }

    @Test
    void keyOf32CharactersIsAccepted() {
        assertThat(GatewayProperties.withRouters(List.of("r:1"), List.of("b".repeat(32))).apiKeys()).hasSize(1);
    }

    @Test
    void defaultMaxTokensAboveTheLimitIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties(null, List.of("r:1"), List.of(KEY), null, null, null, null, null,
                null, null, null, null, 100, 200, null, null, null, null)).hasMessageContaining(
                        "moemesh.gateway.default-max-tokens");
    }

    @Test
    void httpPortBelowMinusOneIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties(null, List.of("r:1"), List.of(KEY), null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, -2)).hasMessageContaining(
                        "moemesh.gateway.http-port");
    }

    @Test
    void httpApiIsOnPort8000UnlessSet() {
        assertThat(GatewayProperties.withRouters(List.of("r:1"), List.of(KEY)).httpPort()).isEqualTo(8000);
    }

    @Test
    void zeroRateLimitIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties.RateLimit(0, null))
                .hasMessageContaining("moemesh.gateway.rate-limit.limit-for-period");
    }

    @Test
    void zeroConcurrencyCapIsRejected() {
        assertThatThrownBy(() -> new GatewayProperties.CallerLimits(0, null))
                .hasMessageContaining("moemesh.gateway.caller-limits.max-concurrent-requests");
    }

    @Test
    void limitShareDividesEveryPerCallerLimitRoundingUp() {
        CallerQuotas quotas = new TestProperties().rateLimit(20, Duration.ofSeconds(1)).callerLimits(16, 120_000)
                .limitShare(3).build().callerQuotas();

        assertThat(quotas.requestsPerPeriodHere()).isEqualTo(7);
        assertThat(quotas.maxConcurrentRequestsHere()).isEqualTo(6);
        assertThat(quotas.tokensPerMinuteHere()).isEqualTo(40_000);
    }

    @Test
    void zeroLimitShareIsRejected() {
        assertThatThrownBy(() -> new TestProperties().limitShare(0).build())
                .hasMessageContaining("moemesh.gateway.limit-share must be > 0");
    }
}
