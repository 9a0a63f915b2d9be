package io.moemesh.expert.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * How a unit's queue turns requests into FFN batches.
 *
 * @param maxBatchTokens most tokens merged into one forward pass (a single larger request still
 *                       runs, alone)
 * @param maxQueueDelay  how long the first queued request waits for company before its batch runs
 * @param queueCapacity  tokens a unit may hold queued; beyond that new work is refused
 * @param workers        threads that run forward passes, shared by all units
 */
public record BatchingPolicy(int maxBatchTokens, Duration maxQueueDelay, int queueCapacity, int workers) {

    public BatchingPolicy {
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("max-batch-tokens must be >= 1, got " + maxBatchTokens);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("max-queue-delay must not be negative, got " + maxQueueDelay);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue-capacity must be >= 1 token, got " + queueCapacity);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
    }
}
