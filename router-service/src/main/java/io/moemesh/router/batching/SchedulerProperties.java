package io.moemesh.router.batching;

/**
 * Limits of the router's continuous batching.
 *
 * @param maxQueuedRequests   requests waiting to join the batch; more are refused (RESOURCE_EXHAUSTED)
 * @param maxRunningSequences sequences decoding together in one step
 * @param maxPrefillTokens    prompt tokens admitted into one step (a longer prompt still runs, alone)
 */
public record SchedulerProperties(int maxQueuedRequests, int maxRunningSequences, int maxPrefillTokens) {

    public SchedulerProperties {
        if (maxQueuedRequests < 1 || maxRunningSequences < 1 || maxPrefillTokens < 1) {
            throw new IllegalArgumentException("scheduler limits must be >= 1, got queue " + maxQueuedRequests
                    + ", running " + maxRunningSequences + ", prefill tokens " + maxPrefillTokens);
        }
    }

    public static SchedulerProperties defaults() {
        return new SchedulerProperties(256, 32, 2048);
    }
}
