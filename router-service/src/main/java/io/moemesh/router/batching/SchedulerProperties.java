package io.moemesh.router.batching;

/**
 * Limits of the router's continuous batching.
 *
 * @param maxQueuedRequests   requests waiting to join the batch; more are refused (RESOURCE_EXHAUSTED)
 * @param maxRunningSequences sequences decoding together in one step
 * @param maxPrefillTokens    prompt tokens admitted into one step (a longer prompt still runs, alone)
 * @param maxQueuedPerCaller  requests one caller may have waiting; more are refused (RESOURCE_EXHAUSTED), and
 *                            callers are admitted round-robin
 * @param kvCacheBudgetBytes  KV-cache bytes queued and running requests may reserve together
 */
public record SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens,
        int maxQueuedPerCaller, long kvCacheBudgetBytes) {

    static final int DEFAULT_MAX_QUEUED_PER_CALLER = 32;

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
