package io.moemesh.gateway;

import io.moemesh.proto.validation.RequestLimits;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code moemesh.gateway.*}: where the routers are, who may call, and what a request may ask for.
 * Every option but {@code routers} has a default; an invalid value stops start-up with a message
 * naming the property.
 *
 * @param grpcPort        port of the public gRPC API; 0 picks a free one
 * @param routers         router addresses, {@code host:port}; at least one
 * @param apiKeys         accepted API keys (also from {@code MOEMESH_API_KEYS}, comma-separated);
 *                        empty turns authentication off
 * @param rateLimit       per-key request rate
 * @param maxPromptBytes  largest prompt text, in UTF-8 bytes
 * @param maxPromptTokens most token ids in a pre-tokenized prompt
 * @param maxTokensLimit  largest {@code sampling.max_tokens} a caller may ask for
 * @param defaultMaxTokens {@code sampling.max_tokens} when the caller sends 0
 * @param defaultDeadline  deadline of a router call when the caller sets none; also caps the caller's
 * @param maxStopStrings  most stop strings in one request
 * @param drainTimeout    how long shutdown lets in-flight generations finish
 */
@ConfigurationProperties("moemesh.gateway")
public record GatewayProperties(
        Integer grpcPort,
        List<String> routers,
        List<String> apiKeys,
        RateLimit rateLimit,
        Integer maxPromptBytes,
        Integer maxPromptTokens,
        Integer maxTokensLimit,
        Integer defaultMaxTokens,
        Duration defaultDeadline,
        Integer maxStopStrings,
        Duration drainTimeout) {

    /**
     * Resilience4j {@code RateLimiter} per API key: {@code limitForPeriod} requests per
     * {@code limitRefreshPeriod}; a key may spend a whole period's permits at once (the burst).
     */
    public record RateLimit(Integer limitForPeriod, Duration limitRefreshPeriod) {

        public RateLimit {
            limitForPeriod = limitForPeriod == null ? 20 : limitForPeriod;
            limitRefreshPeriod = limitRefreshPeriod == null ? Duration.ofSeconds(1) : limitRefreshPeriod;
            require(limitForPeriod > 0, "moemesh.gateway.rate-limit.limit-for-period must be > 0, got " + limitForPeriod);
            require(positive(limitRefreshPeriod),
                    "moemesh.gateway.rate-limit.limit-refresh-period must be positive, got " + limitRefreshPeriod);
        }
    }

    public GatewayProperties {
        grpcPort = grpcPort == null ? 50051 : grpcPort;
        routers = routers == null ? List.of() : routers.stream().map(String::strip).filter(r -> !r.isEmpty()).toList();
        apiKeys = apiKeys == null ? List.of()
                : apiKeys.stream().map(String::strip).filter(k -> !k.isEmpty()).distinct().toList();
        rateLimit = rateLimit == null ? new RateLimit(null, null) : rateLimit;
        maxPromptBytes = maxPromptBytes == null ? 32_768 : maxPromptBytes;
        maxPromptTokens = maxPromptTokens == null ? 8_192 : maxPromptTokens;
        maxTokensLimit = maxTokensLimit == null ? 2_048 : maxTokensLimit;
        defaultMaxTokens = defaultMaxTokens == null ? 256 : defaultMaxTokens;
        defaultDeadline = defaultDeadline == null ? Duration.ofSeconds(60) : defaultDeadline;
        maxStopStrings = maxStopStrings == null ? 8 : maxStopStrings;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;

        require(grpcPort >= 0 && grpcPort <= 65_535, "moemesh.gateway.grpc-port must be 0..65535, got " + grpcPort);
        require(!routers.isEmpty(), "moemesh.gateway.routers is required: the routers' host:port addresses, "
                + "e.g. --moemesh.gateway.routers=localhost:50071");
        routers.forEach(GatewayProperties::requireHostPort);
        apiKeys.forEach(key -> require(key.chars().allMatch(c -> c > 0x20 && c < 0x7f),
                "moemesh.gateway.api-keys must be printable ASCII without spaces or commas"));
        require(maxPromptBytes > 0, "moemesh.gateway.max-prompt-bytes must be > 0, got " + maxPromptBytes);
        require(maxPromptTokens > 0, "moemesh.gateway.max-prompt-tokens must be > 0, got " + maxPromptTokens);
        require(maxTokensLimit > 0, "moemesh.gateway.max-tokens-limit must be > 0, got " + maxTokensLimit);
        require(defaultMaxTokens > 0 && defaultMaxTokens <= maxTokensLimit, "moemesh.gateway.default-max-tokens must be "
                + "in 1..max-tokens-limit (" + maxTokensLimit + "), got " + defaultMaxTokens);
        require(positive(defaultDeadline), "moemesh.gateway.default-deadline must be positive, got " + defaultDeadline);
        require(maxStopStrings >= 0, "moemesh.gateway.max-stop-strings must be >= 0, got " + maxStopStrings);
        require(!drainTimeout.isNegative(), "moemesh.gateway.drain-timeout must not be negative, got " + drainTimeout);
    }

    /** Properties with every default and these routers. */
    public static GatewayProperties withRouters(List<String> routers) {
        return new GatewayProperties(null, routers, null, null, null, null, null, null, null, null, null);
    }

    public RequestLimits requestLimits() {
        return new RequestLimits(maxPromptBytes, maxPromptTokens, maxTokensLimit, defaultMaxTokens, maxStopStrings);
    }

    private static void requireHostPort(String router) {
        int colon = router.lastIndexOf(':');
        boolean valid = colon > 0 && colon < router.length() - 1;
        if (valid) {
            try {
                int port = Integer.parseInt(router.substring(colon + 1));
                valid = port > 0 && port <= 65_535;
            } catch (NumberFormatException e) {
                valid = false;
            }
        }
        require(valid, "moemesh.gateway.routers entries must be host:port, got '" + router + "'");
    }

    private static boolean positive(Duration duration) {
        return !duration.isNegative() && !duration.isZero();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
