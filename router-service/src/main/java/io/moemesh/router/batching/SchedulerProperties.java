package io.moemesh.router.batching;

import java.time.Duration;

/**
 * Limits of the router's continuous batching.
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

    static final int DEFAULT_MAX_QUEUED_PER_CALLER = 32;
    static final Duration DEFAULT_MAX_KV_CACHE_WAIT = Duration.ofSeconds(30);

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

    /** These limits, one batch per step (no ping-pong). */
    public SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens,
            int maxQueuedPerCaller, long kvCacheBudgetBytes, Duration maxKvCacheWait) {
        this(maxQueuedRequests, maxRunningSequences, maxPrefillTokens, maxQueuedPerCaller, kvCacheBudgetBytes,
                maxKvCacheWait, 0);
    }

    /** These limits with steps of at least {@code minTokens} tokens run as two halves (0 = off). */
    public SchedulerProperties withPingPong(int minTokens) {
        return new SchedulerProperties(maxQueuedRequests, maxRunningSequences, maxPrefillTokens, maxQueuedPerCaller,
                kvCacheBudgetBytes, maxKvCacheWait, minTokens);
    }

    /** These limits and budget, with the default wait for the budget (30 s). */
    public SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens,
            int maxQueuedPerCaller, long kvCacheBudgetBytes) {
        this(maxQueuedRequests, maxRunningSequences, maxPrefillTokens, maxQueuedPerCaller, kvCacheBudgetBytes,
                DEFAULT_MAX_KV_CACHE_WAIT);
    }

    /** These limits, 32 queued per caller and a KV-cache budget of a quarter of the maximum heap. */
    public SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens) {
        this(maxQueuedRequests, maxRunningSequences, maxPrefillTokens, DEFAULT_MAX_QUEUED_PER_CALLER,
                KvCacheBudget.defaultBudgetBytes());
    }

    public static SchedulerProperties defaults() {
        return new SchedulerProperties(256, 32, 2048);
    }
}
