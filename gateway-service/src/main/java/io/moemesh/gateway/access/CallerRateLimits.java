package io.moemesh.gateway.access;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import java.time.Duration;

/**
 * One Resilience4j {@link RateLimiter} per caller: {@code limitForPeriod} calls per
 * {@code limitRefreshPeriod}, refused at once (no waiting) when spent. Callers are the configured
 * keys plus {@link Caller#ANONYMOUS}, so the registry stays bounded.
 */
public final class CallerRateLimits {

    private final RateLimiterRegistry registry;
    private final int limitForPeriod;
    private final Duration refreshPeriod;

    public CallerRateLimits(int limitForPeriod, Duration refreshPeriod) {
        this.limitForPeriod = limitForPeriod;
        this.refreshPeriod = refreshPeriod;
        this.registry = RateLimiterRegistry.of(RateLimiterConfig.custom()
                .limitForPeriod(limitForPeriod)
                .limitRefreshPeriod(refreshPeriod)
                .timeoutDuration(Duration.ZERO)
                .build());
    }

    public boolean tryAcquire(Caller caller) {
        return registry.rateLimiter(caller.id()).acquirePermission();
    }

    /** The limit in words, for the error a refused caller sees. */
    public String describe() {
        return limitForPeriod + " requests per " + refreshPeriod.toString().substring(2).toLowerCase();
    }
}
