package io.moemesh.expert.batching;

import java.util.concurrent.CompletableFuture;

/**
 * One request's rows for one unit, handed to that unit's queue. The result completes with the FFN
 * output rows ({@code tokens × hidden}) or with a {@link RejectedWorkException}. Whoever completes
 * it first wins: {@link #drop} takes queued work out of the queue, and a batch skips work that was
 * dropped or whose deadline has passed.
 */
public final class QueuedWork {

    final float[] rows;
    final int tokens;
    final long deadlineNanos;
    final long enqueuedNanos;
    final CompletableFuture<float[]> result = new CompletableFuture<>();
    /** Its spans when the Compute call is traced ({@link WorkSpans}); null otherwise. */
    WorkSpans.Traced trace;

    QueuedWork(float[] rows, int tokens, long deadlineNanos, long enqueuedNanos) {
        this.rows = rows;
        this.tokens = tokens;
        this.deadlineNanos = deadlineNanos;
        this.enqueuedNanos = enqueuedNanos;
    }

    /** The output rows; a view, so completing it does not affect the work. */
    public CompletableFuture<float[]> result() {
        return result.copy();
    }

    /** Gives up on this work (the caller cancelled, or its deadline passed); no-op once computed. */
    public void drop(RejectedWorkException.Reason reason, String message) {
        result.completeExceptionally(new RejectedWorkException(reason, message));
    }

    boolean expiredAt(long nowNanos) {
        return deadlineNanos != MicroBatcher.NO_DEADLINE && nowNanos - deadlineNanos >= 0;
    }
}
