package io.moemesh.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Gateway properties for in-process tests: the test keys, defaults otherwise, a 1 s drain. */
final class TestProperties {

    private List<String> apiKeys = List.of(InProcessGateway.KEY, InProcessGateway.OTHER_KEY);
    private Path apiKeysFile;
    private Duration apiKeysReloadInterval;
    private boolean allowUnauthenticated;
    private GatewayProperties.AuthFailures authFailures;
    private GatewayProperties.RateLimit rateLimit;
    private GatewayProperties.CallerLimits callerLimits;
    private Integer limitShare;

    TestProperties apiKeys(String... keys) {
        apiKeys = List.of(keys);
        return this;
    }

    TestProperties apiKeysFile(Path file, Duration reloadInterval) {
        apiKeysFile = file;
        apiKeysReloadInterval = reloadInterval;
        return this;
    }

    TestProperties allowUnauthenticated() {
        allowUnauthenticated = true;
        return this;
    }

    TestProperties authFailures(int maxPerWindow, Duration window) {
        authFailures = new GatewayProperties.AuthFailures(maxPerWindow, window, null);
        return this;
    }

    TestProperties rateLimit(int limitForPeriod, Duration period) {
        rateLimit = new GatewayProperties.RateLimit(limitForPeriod, period);
        return this;
    }

    TestProperties callerLimits(Integer maxConcurrentRequests, Integer tokensPerMinute) {
        callerLimits = new GatewayProperties.CallerLimits(maxConcurrentRequests, tokensPerMinute);
        return this;
    }

    TestProperties limitShare(int share) {
        limitShare = share;
        return this;
    }

    GatewayProperties build() {
        return new GatewayProperties(null, List.of("in-process:1"), apiKeys, apiKeysFile, apiKeysReloadInterval,
                allowUnauthenticated, authFailures, rateLimit, callerLimits, limitShare, null, null, null, null, null,
                null, Duration.ofSeconds(1), -1);
    }
}
