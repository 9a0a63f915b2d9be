package io.moemesh.expert.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * How a unit's queue turns requests into FFN batches: dispatch when idle, batch while busy. Work for
 * a unit with no batch running is dispatched at once; work that arrives while one runs is queued and
 * dispatched as the next batch when a batch of the unit finishes (see {@code UnitQueue}).
 *
 * @param maxBatchTokens most tokens merged into one forward pass (a single larger request still
 *                       runs, alone); a queue that holds this many dispatches at once, even while
 *                       another batch of the unit runs
 * @param maxQueueDelay  longest a request waits queued behind a running batch of its unit before it
 *                       is dispatched anyway, on another worker; a request for an idle unit does not
 *                       wait at all
 * @param queueCapacity  tokens a unit may hold queued; beyond that new work is refused
 * @param workers        threads that run forward passes, shared by all units
 * @param inlineMaxTokens work of at most this many tokens for an idle unit runs on the submitting thread
 *                       (the gRPC transport thread) instead of a worker; 0 = always a worker
 */
public record BatchingPolicy(int maxBatchTokens, Duration maxQueueDelay, int queueCapacity, int workers,
        int inlineMaxTokens) {

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
        if (inlineMaxTokens < 0) {
            throw new IllegalArgumentException("inline-max-tokens must be >= 0 (0 = off), got " + inlineMaxTokens);
        }
    }

    /** The policy with every batch on a worker thread. */
    public BatchingPolicy(int maxBatchTokens, Duration maxQueueDelay, int queueCapacity, int workers) {
        this(maxBatchTokens, maxQueueDelay, queueCapacity, workers, 0);
    }
}
