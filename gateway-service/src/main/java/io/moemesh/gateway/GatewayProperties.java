package io.moemesh.gateway;

import io.moemesh.gateway.access.ApiKeys;
import io.moemesh.gateway.access.CallerQuotas;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.validation.RequestLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code moemesh.gateway.*}: where the routers are, who may call, and what a request may ask for.
 * Every option but {@code routers} has a default; an invalid value stops start-up with a message
 * naming the property.
 *
 * @param grpcPort        port of the public gRPC API; 0 picks a free one
 * @param routers         router addresses, {@code host:port}, or {@code dns:///host:port} to call every
 *                        address the name resolves to (a headless Service: every router pod); at least one
 * @param apiKeys         accepted API keys inline (also from {@code MOEMESH_API_KEYS}, comma-separated)
 * @param apiKeysFile     a file with one accepted key per line (a mounted Secret), reloaded when it changes
 * @param apiKeysReloadInterval how often {@code apiKeysFile} is read for changes
 * @param allowUnauthenticated start without any key and serve anyone; without it, no keys stops start-up
 * @param authFailures    throttle on failed authentications per peer address
 * @param rateLimit       per-key request rate
 * @param callerLimits    per-key concurrency cap and token budget
 * @param limitShare      gateway replicas sharing the per-key limits: each enforces ceil(limit / share)
 * @param maxPromptBytes  largest prompt text, in UTF-8 bytes
 * @param maxPromptTokens most token ids in a pre-tokenized prompt
 * @param maxTokensLimit  largest {@code sampling.max_tokens} a caller may ask for
 * @param defaultMaxTokens {@code sampling.max_tokens} when the caller sends 0
 * @param defaultDeadline  deadline of a router call when the caller sets none; also caps the caller's
 * @param maxStopStrings  most stop strings in one request
 * @param drainTimeout    how long shutdown lets in-flight generations finish
 * @param httpPort        port of the OpenAI-compatible HTTP API (docs/openai-api.md); 0 picks a free one,
 *                        -1 turns it off
 */
@ConfigurationProperties("moemesh.gateway")
public record GatewayProperties(
        Integer grpcPort,
        List<String> routers,
        List<String> apiKeys,
        Path apiKeysFile,
        Duration apiKeysReloadInterval,
        Boolean allowUnauthenticated,
        AuthFailures authFailures,
        RateLimit rateLimit,
        CallerLimits callerLimits,
        Integer limitShare,
        Integer maxPromptBytes,
        Integer maxPromptTokens,
        Integer maxTokensLimit,
        Integer defaultMaxTokens,
        Duration defaultDeadline,
        Integer maxStopStrings,
        Duration drainTimeout,
        Integer httpPort) {

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

    /**
     * Failed authentications counted per peer address (IPv6: per /64) in a fixed window: after
     * {@code maxPerWindow} failures, the peer's calls are refused without looking at the key until
     * the window ends. At most {@code maxTrackedPeers} peers are remembered (the oldest go first).
     */
    public record AuthFailures(Integer maxPerWindow, Duration window, Integer maxTrackedPeers) {

        public AuthFailures {
            maxPerWindow = maxPerWindow == null ? 10 : maxPerWindow;
            window = window == null ? Duration.ofMinutes(1) : window;
            maxTrackedPeers = maxTrackedPeers == null ? 10_000 : maxTrackedPeers;
            require(maxPerWindow > 0, "moemesh.gateway.auth-failures.max-per-window must be > 0, got " + maxPerWindow);
            require(positive(window), "moemesh.gateway.auth-failures.window must be positive, got " + window);
            require(maxTrackedPeers > 0,
                    "moemesh.gateway.auth-failures.max-tracked-peers must be > 0, got " + maxTrackedPeers);
        }
    }

    /**
     * Per-key abuse limits beside the request rate: requests in flight at once (a Resilience4j
     * {@code Bulkhead}, no waiting) and tokens per minute (prompt + {@code max_tokens}, reserved at
     * admission from a Resilience4j {@code RateLimiter}).
     */
    public record CallerLimits(Integer maxConcurrentRequests, Integer tokensPerMinute) {

        public CallerLimits {
            maxConcurrentRequests = maxConcurrentRequests == null ? 16 : maxConcurrentRequests;
            tokensPerMinute = tokensPerMinute == null ? 120_000 : tokensPerMinute;
            require(maxConcurrentRequests > 0, "moemesh.gateway.caller-limits.max-concurrent-requests must be > 0, got "
                    + maxConcurrentRequests);
            require(tokensPerMinute > 0,
                    "moemesh.gateway.caller-limits.tokens-per-minute must be > 0, got " + tokensPerMinute);
        }
    }

    public GatewayProperties {
        grpcPort = grpcPort == null ? 50051 : grpcPort;
        routers = routers == null ? List.of() : routers.stream().map(String::strip).filter(r -> !r.isEmpty()).toList();
        apiKeys = apiKeys == null ? List.of()
                : apiKeys.stream().map(String::strip).filter(k -> !k.isEmpty()).distinct().toList();
        apiKeysReloadInterval = apiKeysReloadInterval == null ? Duration.ofSeconds(10) : apiKeysReloadInterval;
        allowUnauthenticated = allowUnauthenticated != null && allowUnauthenticated;
        authFailures = authFailures == null ? new AuthFailures(null, null, null) : authFailures;
        rateLimit = rateLimit == null ? new RateLimit(null, null) : rateLimit;
        callerLimits = callerLimits == null ? new CallerLimits(null, null) : callerLimits;
        limitShare = limitShare == null ? 1 : limitShare;
        maxPromptBytes = maxPromptBytes == null ? RequestLimits.DEFAULT_MAX_PROMPT_BYTES : maxPromptBytes;
        maxPromptTokens = maxPromptTokens == null ? RequestLimits.DEFAULT_MAX_PROMPT_TOKENS : maxPromptTokens;
        maxTokensLimit = maxTokensLimit == null ? RequestLimits.DEFAULT_MAX_TOKENS_LIMIT : maxTokensLimit;
        defaultMaxTokens = defaultMaxTokens == null ? RequestLimits.DEFAULT_MAX_TOKENS : defaultMaxTokens;
        defaultDeadline = defaultDeadline == null ? Duration.ofSeconds(60) : defaultDeadline;
        maxStopStrings = maxStopStrings == null ? RequestLimits.DEFAULT_MAX_STOP_STRINGS : maxStopStrings;
        drainTimeout = drainTimeout == null ? Duration.ofSeconds(30) : drainTimeout;
        httpPort = httpPort == null ? 8000 : httpPort;

        require(grpcPort >= 0 && grpcPort <= 65_535, "moemesh.gateway.grpc-port must be 0..65535, got " + grpcPort);
        require(!routers.isEmpty(), "moemesh.gateway.routers is required: the routers' host:port addresses, "
                + "e.g. --moemesh.gateway.routers=localhost:50071");
        routers.forEach(GatewayProperties::requireHostPort);
        apiKeys.forEach(key -> {
            String problem = ApiKeys.problemWith(key);
            require(problem == null, "moemesh.gateway.api-keys (MOEMESH_API_KEYS): " + problem);
        });
        require(!apiKeys.isEmpty() || apiKeysFile != null || allowUnauthenticated, "no API keys configured: set "
                + "moemesh.gateway.api-keys-file (a file with one key per line, e.g. a mounted Secret) or "
                + "moemesh.gateway.api-keys (env MOEMESH_API_KEYS), or moemesh.gateway.allow-unauthenticated=true "
                + "to serve anyone who can reach the port");
        require(positive(apiKeysReloadInterval),
                "moemesh.gateway.api-keys-reload-interval must be positive, got " + apiKeysReloadInterval);
        require(limitShare > 0, "moemesh.gateway.limit-share must be > 0 (the number of gateway replicas), got "
                + limitShare);
        require(maxPromptBytes > 0, "moemesh.gateway.max-prompt-bytes must be > 0, got " + maxPromptBytes);
        require(maxPromptTokens > 0, "moemesh.gateway.max-prompt-tokens must be > 0, got " + maxPromptTokens);
        require(maxTokensLimit > 0, "moemesh.gateway.max-tokens-limit must be > 0, got " + maxTokensLimit);
        require(defaultMaxTokens > 0 && defaultMaxTokens <= maxTokensLimit, "moemesh.gateway.default-max-tokens must be "
                + "in 1..max-tokens-limit (" + maxTokensLimit + "), got " + defaultMaxTokens);
        require(positive(defaultDeadline), "moemesh.gateway.default-deadline must be positive, got " + defaultDeadline);
        require(maxStopStrings >= 0, "moemesh.gateway.max-stop-strings must be >= 0, got " + maxStopStrings);
        require(httpPort >= -1 && httpPort <= 65_535,
                "moemesh.gateway.http-port must be 0..65535, or -1 for no HTTP API, got " + httpPort);
        require(!drainTimeout.isNegative(), "moemesh.gateway.drain-timeout must not be negative, got " + drainTimeout);
    }

    /** Properties with every default, these routers and these keys. */
    public static GatewayProperties withRouters(List<String> routers, List<String> apiKeys) {
        return new GatewayProperties(null, routers, apiKeys, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null);
    }

    /** The per-caller limits as configured; each gateway enforces ceil(limit / limit-share) of them. */
    public CallerQuotas callerQuotas() {
        return new CallerQuotas(rateLimit.limitForPeriod(), rateLimit.limitRefreshPeriod(),
                callerLimits.maxConcurrentRequests(), callerLimits.tokensPerMinute(), limitShare);
    }

    public RequestLimits requestLimits() {
        return new RequestLimits(maxPromptBytes, maxPromptTokens, maxTokensLimit, defaultMaxTokens, maxStopStrings);
    }

    private static void requireHostPort(String router) {
        String hostPort = router.startsWith(RouterPool.DNS_SCHEME) ? router.substring(RouterPool.DNS_SCHEME.length())
                : router;
        int colon = hostPort.lastIndexOf(':');
        boolean valid = colon > 0 && colon < hostPort.length() - 1 && !hostPort.contains("/");
        if (valid) {
            try {
                int port = Integer.parseInt(hostPort.substring(colon + 1));
                valid = port > 0 && port <= 65_535;
            } catch (NumberFormatException e) {
                valid = false;
            }
        }
        require(valid, "moemesh.gateway.routers entries must be host:port or dns:///host:port, got '" + router + "'");
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
