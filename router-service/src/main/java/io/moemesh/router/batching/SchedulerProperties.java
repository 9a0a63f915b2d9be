package io.moemesh.router.batching;

import java.time.Duration;
import org.springframework.boot.convert.DurationStyle;

/**
 * Limits of the router's continuous batching. Bound flat from {@code moemesh.router.*} (see
 * {@code RouterProperties} and {@code AdmissionProperties}); the defaults live here once, as the property text
 * their {@code @DefaultValue}s name and {@link #builder()} starts from.
 *
 * @param maxQueuedRequests   requests waiting to join the batch; more are refused (RESOURCE_EXHAUSTED)
 * @param maxRunningSequences sequences decoding together in one step
 * @param maxPrefillTokens    prompt tokens admitted into one step (a longer prompt still runs, alone)
 * @param maxQueuedPerCaller  requests one caller may have waiting; more are refused (RESOURCE_EXHAUSTED), and
 *                            callers are admitted round-robin, the caller holding least KV cache first
 * @param kvCacheBudgetBytes  KV-cache bytes running requests may reserve together; a request that does not fit
 *                            what is left waits in the queue
 * @param maxKvCacheWait      how long a queued request may wait: one queued longer whose KV cache still does not
 *                            fit what is left is refused (RESOURCE_EXHAUSTED naming the budget)
 * @param pingPongMinTokens   steps of at least this many tokens run as two micro-batches on two threads, one
 *                            half's dense part while the other's expert calls are in flight ({@link PingPong});
 *                            0 = one batch per step
 */
public record SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens,
        int maxQueuedPerCaller, long kvCacheBudgetBytes, Duration maxKvCacheWait, int pingPongMinTokens) {

    /** {@code moemesh.router.max-queued-requests} unless set. */
    public static final int DEFAULT_MAX_QUEUED_REQUESTS = 256;
    /** {@code moemesh.router.max-running-sequences} unless set. */
    public static final int DEFAULT_MAX_RUNNING_SEQUENCES = 32;
    /** {@code moemesh.router.max-prefill-tokens} unless set. */
    public static final int DEFAULT_MAX_PREFILL_TOKENS = 2048;
    /** {@code moemesh.router.max-queued-per-caller} unless set. */
    public static final int DEFAULT_MAX_QUEUED_PER_CALLER = 32;
    /** {@code moemesh.router.max-kv-cache-wait} unless set. */
    public static final String DEFAULT_MAX_KV_CACHE_WAIT = "30s";
    /** {@code moemesh.router.ping-pong-min-tokens} unless set: one batch per step. */
    public static final int DEFAULT_PING_PONG_MIN_TOKENS = 0;

    public SchedulerProperties {
        if (maxQueuedRequests < 1 || maxRunningSequences < 1 || maxPrefillTokens < 1 || maxQueuedPerCaller < 1) {
            throw new IllegalArgumentException("scheduler limits must be >= 1, got queue " + maxQueuedRequests
                    + ", running " + maxRunningSequences + ", prefill tokens " + maxPrefillTokens
                    + ", queued per caller " + maxQueuedPerCaller);
        }
        if (kvCacheBudgetBytes < 1) {
            throw new IllegalArgumentException("the KV cache budget must be positive, got " + kvCacheBudgetBytes
                    + " bytes");
        }
        if (maxKvCacheWait == null || maxKvCacheWait.isNegative() || maxKvCacheWait.isZero()) {
            throw new IllegalArgumentException("the longest wait for the KV cache budget must be positive, got "
                    + maxKvCacheWait);
        }
        if (pingPongMinTokens < 0) {
            throw new IllegalArgumentException("moemesh.router.ping-pong-min-tokens must be >= 0 (0 = off), got "
                    + pingPongMinTokens);
        }
    }

    /** These limits with steps of at least {@code minTokens} tokens run as two halves (0 = off). */
    public SchedulerProperties withPingPong(int minTokens) {
        return toBuilder().pingPongMinTokens(minTokens).build();
    }

    /** Every default; the KV-cache budget is a quarter of the maximum heap. */
    public static SchedulerProperties defaults() {
        return builder().build();
    }

    /** A builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these limits. */
    public Builder toBuilder() {
        return new Builder().maxQueuedRequests(maxQueuedRequests).maxRunningSequences(maxRunningSequences)
                .maxPrefillTokens(maxPrefillTokens).maxQueuedPerCaller(maxQueuedPerCaller)
                .kvCacheBudgetBytes(kvCacheBudgetBytes).maxKvCacheWait(maxKvCacheWait)
                .pingPongMinTokens(pingPongMinTokens);
    }

    /** Limits by name, for tests and tools; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
        private int maxQueuedRequests = DEFAULT_MAX_QUEUED_REQUESTS;
        private int maxRunningSequences = DEFAULT_MAX_RUNNING_SEQUENCES;
        private int maxPrefillTokens = DEFAULT_MAX_PREFILL_TOKENS;
        private int maxQueuedPerCaller = DEFAULT_MAX_QUEUED_PER_CALLER;
        private long kvCacheBudgetBytes = KvCacheBudget.defaultBudgetBytes();
        private Duration maxKvCacheWait = DurationStyle.detectAndParse(DEFAULT_MAX_KV_CACHE_WAIT);
        private int pingPongMinTokens = DEFAULT_PING_PONG_MIN_TOKENS;

        private Builder() {
        }

        public Builder maxQueuedRequests(int value) {
            maxQueuedRequests = value;
            return this;
        }

        public Builder maxRunningSequences(int value) {
            maxRunningSequences = value;
            return this;
        }

        public Builder maxPrefillTokens(int value) {
            maxPrefillTokens = value;
            return this;
        }

        public Builder maxQueuedPerCaller(int value) {
            maxQueuedPerCaller = value;
            return this;
        }

        public Builder kvCacheBudgetBytes(long value) {
            kvCacheBudgetBytes = value;
            return this;
        }

        public Builder maxKvCacheWait(Duration value) {
            maxKvCacheWait = value;
            return this;
        }

        public Builder pingPongMinTokens(int value) {
            pingPongMinTokens = value;
            return this;
        }

        public SchedulerProperties build() {
            return new SchedulerProperties(maxQueuedRequests, maxRunningSequences, maxPrefillTokens,
                    maxQueuedPerCaller, kvCacheBudgetBytes, maxKvCacheWait, pingPongMinTokens);
        }
    }
}
