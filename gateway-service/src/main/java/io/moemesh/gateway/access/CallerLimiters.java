package io.moemesh.gateway.access;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.grpc.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Each caller's limiters on this gateway, none waiting (a refusal is immediate):
 * <ul>
 *   <li>request rate: a Resilience4j {@link RateLimiter} of {@code requestsPerPeriod} per {@code period};</li>
 *   <li>concurrency: a Resilience4j {@link Bulkhead} of {@code maxConcurrentRequests};</li>
 *   <li>tokens: a Resilience4j {@link RateLimiter} of {@code tokensPerMinute} permits per minute,
 *       of which a Generate request takes its prompt size plus {@code max_tokens} at admission.</li>
 * </ul>
 * Callers are API key fingerprints, or peer addresses when authentication is off; the table keeps
 * the {@value #MAX_CALLERS} most recently seen, so a flood of anonymous peers cannot grow it
 * without bound (a forgotten caller starts again with full limits).
 *
 * <p>A refusal by the request rate or the token budget carries the wait until that limiter's next
 * period ({@link LimitExceededException}, as a {@code RetryInfo}): both refill whole at the start of
 * each period, which Resilience4j's {@code AtomicRateLimiter} counts from its first reading of the
 * clock. A refusal by the concurrency cap carries none: a permit comes back when one of the caller's
 * own streams ends, which may be a millisecond or minutes away, and a fixed guess would either keep
 * a client waiting for nothing or send it back into the same refusal; the caller, who knows its
 * streams, is better placed to decide (OpenAI's clients, given no {@code Retry-After}, back off
 * exponentially on their own).
 */
public final class CallerLimiters {

    static final int MAX_CALLERS = 10_000;

    private static final Duration TOKEN_PERIOD = Duration.ofMinutes(1);

    private final CallerQuotas quotas;
    private final LongSupplier nanoTime;
    private final RateLimiterConfig requestConfig;
    private final RateLimiterConfig tokenConfig;
    private final BulkheadConfig concurrencyConfig;
    private final Map<String, Limiters> byCaller = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Limiters> eldest) {
            return size() > MAX_CALLERS;
        }
    };

    /** {@code nanoTime} drives the rate limiters' periods ({@code System::nanoTime} outside tests). */
    public CallerLimiters(CallerQuotas quotas, LongSupplier nanoTime) {
        this.quotas = quotas;
        this.nanoTime = nanoTime;
        this.requestConfig = RateLimiterConfig.custom().limitForPeriod(quotas.requestsPerPeriodHere())
                .limitRefreshPeriod(quotas.period()).timeoutDuration(Duration.ZERO).build();
        this.tokenConfig = RateLimiterConfig.custom().limitForPeriod(quotas.tokensPerMinuteHere())
                .limitRefreshPeriod(TOKEN_PERIOD).timeoutDuration(Duration.ZERO).build();
        this.concurrencyConfig = BulkheadConfig.custom().maxConcurrentCalls(quotas.maxConcurrentRequestsHere())
                .maxWaitDuration(Duration.ZERO).build();
    }

    /**
     * Takes one request from the caller's rate; throws RESOURCE_EXHAUSTED naming the rate, with the
     * wait until its next period, when it is spent.
     */
    public void acquireRequest(Caller caller) {
        Limiters limiters = limiters(caller);
        if (!limiters.requests().acquirePermission()) {
            throw new LimitExceededException(Status.Code.RESOURCE_EXHAUSTED, "rate limit exceeded for "
                    + caller.describe() + ": at most " + quotas.describe(quotas.requestsPerPeriod()) + " requests per "
                    + words(quotas.period()) + "; retry after backing off",
                    untilNextPeriod(limiters.startNanos(), quotas.period()));
        }
    }

    /**
     * Takes one of the caller's concurrent-call permits; throws RESOURCE_EXHAUSTED naming the cap when
     * none is free. Run the returned release exactly once, when the call ends (it ignores later runs).
     */
    public Runnable acquireConcurrent(Caller caller) {
        Bulkhead bulkhead = limiters(caller).concurrent();
        if (!bulkhead.tryAcquirePermission()) {
            throw new LimitExceededException(Status.Code.RESOURCE_EXHAUSTED, "too many concurrent requests for "
                    + caller.describe() + ": at most " + quotas.describe(quotas.maxConcurrentRequests())
                    + " at once; wait for one to finish");
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                bulkhead.onComplete();
            }
        };
    }

    /**
     * Reserves {@code tokens} (prompt + {@code max_tokens}) from the caller's budget. Throws
     * INVALID_ARGUMENT when the request is larger than the whole budget (it could never pass), or
     * RESOURCE_EXHAUSTED with the wait until the budget refills (in the message as whole seconds).
     */
    public void reserveTokens(Caller caller, int tokens, String breakdown) {
        int budget = quotas.tokensPerMinuteHere();
        if (tokens > budget) {
            throw new LimitExceededException(Status.Code.INVALID_ARGUMENT, "the request needs " + tokens + " tokens ("
                    + breakdown + "), more than the whole token budget per caller, "
                    + quotas.describe(quotas.tokensPerMinute()) + " per minute; shorten the prompt or lower "
                    + "sampling.max_tokens");
        }
        Limiters limiters = limiters(caller);
        if (!limiters.tokens().acquirePermission(tokens)) {
            Duration untilRefill = untilNextPeriod(limiters.startNanos(), TOKEN_PERIOD);
            throw new LimitExceededException(Status.Code.RESOURCE_EXHAUSTED, "token budget exceeded for "
                    + caller.describe() + ": at most " + quotas.describe(quotas.tokensPerMinute())
                    + " tokens (prompt + max_tokens) per minute, and this request needs " + tokens + "; retry after "
                    + LimitExceededException.wholeSeconds(untilRefill) + "s", untilRefill);
        }
    }

    int trackedCallers() {
        synchronized (byCaller) {
            return byCaller.size();
        }
    }

    private Limiters limiters(Caller caller) {
        synchronized (byCaller) {
            return byCaller.computeIfAbsent(caller.id(), this::newLimiters);
        }
    }

    private Limiters newLimiters(String id) {
        RateLimiter requests = RateLimiter.of("requests-" + id, requestConfig, nanoTime::getAsLong);
        RateLimiter tokens = RateLimiter.of("tokens-" + id, tokenConfig, nanoTime::getAsLong);
        // Resilience4j's AtomicRateLimiter counts its periods from its first reading of this clock, in
        // its constructor; read after both, the waits computed from here end at or just after theirs
        long start = nanoTime.getAsLong();
        return new Limiters(requests, Bulkhead.of("concurrent-" + id, concurrencyConfig), tokens, start);
    }

    /** From now to the start of the next of the periods counted from {@code startNanos}. */
    private Duration untilNextPeriod(long startNanos, Duration period) {
        long nanos = period.toNanos();
        return Duration.ofNanos(nanos - Math.floorMod(nanoTime.getAsLong() - startNanos, nanos));
    }

    private static String words(Duration period) {
        return period.toString().substring(2).toLowerCase();
    }

    /** {@code startNanos}: when both rate limiters had begun counting their periods. */
    private record Limiters(RateLimiter requests, Bulkhead concurrent, RateLimiter tokens, long startNanos) {
    }
}
