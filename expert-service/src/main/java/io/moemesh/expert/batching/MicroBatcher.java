package io.moemesh.expert.batching;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.RejectedWorkException.Reason;
import io.moemesh.expert.unit.UnitId;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-unit micro-batching over a fixed pool of workers: concurrent requests for the same unit are
 * merged into one forward pass (see {@link UnitQueue}). Merging is safe because the kernels are
 * batch-invariant: a token's output rows are bit-identical whatever batch computed them (ADR 0001).
 */
public final class MicroBatcher implements AutoCloseable {

    /** Deadline of work that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final long CLOSE_WAIT_SECONDS = 5;

    private final Map<UnitId, UnitQueue> queues;
    private final ScheduledThreadPoolExecutor executor;
    private final Ticker ticker;
    private volatile boolean closed;

    public MicroBatcher(Map<UnitId, ExpertWeights> units, FfnRunner runner, BatchingPolicy policy, Ticker ticker,
            MeterRegistry registry) {
        this.ticker = ticker;
        this.executor = new ScheduledThreadPoolExecutor(policy.workers(), workerThreads());
        // A unit cancels its max-queue-delay timer whenever its queue empties; do not keep them queued.
        executor.setRemoveOnCancelPolicy(true);
        WorkerContext context = new WorkerContext(runner, policy, ticker, executor);
        Map<UnitId, UnitQueue> byUnit = new TreeMap<>();
        units.forEach((unit, weights) -> byUnit.put(unit, new UnitQueue(unit, weights, context, registry)));
        this.queues = Collections.unmodifiableMap(byUnit);
    }

    /**
     * Queues {@code tokens} rows ({@code tokens × hidden} floats) for {@code unit}.
     *
     * @param deadlineNanos on this batcher's {@link Ticker}, or {@link #NO_DEADLINE}
     * @throws RejectedWorkException {@code QUEUE_FULL} when the unit's queue cannot take the tokens,
     *                               {@code SHUTTING_DOWN} after {@link #close()}
     * @throws IllegalArgumentException for a unit this batcher does not serve
     */
    public QueuedWork submit(UnitId unit, float[] rows, int tokens, long deadlineNanos) {
        UnitQueue queue = queues.get(unit);
        if (queue == null) {
            throw new IllegalArgumentException(unit + " is not served by this batcher");
        }
        if (closed) {
            throw shuttingDown();
        }
        try {
            return queue.submit(rows, tokens, deadlineNanos);
        } catch (RejectedExecutionException e) {
            throw shuttingDown();
        }
    }

    /** Tokens waiting in {@code unit}'s queue (not counting batches being computed). */
    public int queuedTokens(UnitId unit) {
        return queues.get(unit).queuedTokens();
    }

    public Ticker ticker() {
        return ticker;
    }

    /**
     * Fails queued work, then waits for running batches so that the weights can be unmapped. Work
     * queued behind those batches, which the stopped pool will not dispatch, is failed afterwards.
     */
    @Override
    public void close() {
        closed = true;
        rejectQueued();
        executor.shutdownNow();
        try {
            executor.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        rejectQueued();
    }

    private void rejectQueued() {
        queues.values().forEach(queue -> queue.rejectQueued("expert service is shutting down; retry on another replica"));
    }

    private static RejectedWorkException shuttingDown() {
        return new RejectedWorkException(Reason.SHUTTING_DOWN, "expert service is shutting down; retry on another replica");
    }

    private static ThreadFactory workerThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "expert-worker-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
