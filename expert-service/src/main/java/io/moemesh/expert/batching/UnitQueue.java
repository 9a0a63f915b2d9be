package io.moemesh.expert.batching;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.RejectedWorkException.Reason;
import io.moemesh.expert.unit.UnitId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded queue of one unit, and how it becomes batches. The first request to arrive arms a
 * timer of {@code max-queue-delay}; when it fires, everything queued (up to {@code max-batch-tokens})
 * runs as one forward pass. A queue that reaches {@code max-batch-tokens} dispatches at once without
 * waiting. Several batches of one unit may run at the same time on different workers.
 */
final class UnitQueue {

    private static final Logger LOG = LoggerFactory.getLogger(UnitQueue.class);

    private final UnitId unit;
    private final ExpertWeights weights;
    private final WorkerContext context;
    private final UnitMetrics metrics;
    private final int hidden;

    private final ArrayDeque<QueuedWork> pending = new ArrayDeque<>();
    private int pendingTokens;
    private boolean timerArmed;
    private boolean fullBatchQueued;

    UnitQueue(UnitId unit, ExpertWeights weights, WorkerContext context, MeterRegistry registry) {
        this.unit = unit;
        this.weights = weights;
        this.context = context;
        this.hidden = weights.hiddenSize();
        this.metrics = new UnitMetrics(registry, unit, this::queuedTokens);
    }

    synchronized int queuedTokens() {
        return pendingTokens;
    }

    QueuedWork submit(float[] rows, int tokens, long deadlineNanos) {
        QueuedWork work = new QueuedWork(rows, tokens, deadlineNanos, context.ticker().nanos());
        synchronized (this) {
            int capacity = context.policy().queueCapacity();
            if (pendingTokens + tokens > capacity) {
                metrics.rejected(Reason.QUEUE_FULL);
                throw new RejectedWorkException(Reason.QUEUE_FULL, tokens > capacity
                        ? unit + " queue holds at most " + capacity + " tokens but the request has " + tokens
                                + " for it; split the request"
                        : unit + " queue full (" + capacity + " tokens); retry later or add replicas");
            }
            pending.addLast(work);
            pendingTokens += tokens;
            try {
                scheduleDrain();
            } catch (RejectedExecutionException e) {
                pending.removeLast();
                pendingTokens -= tokens;
                throw e;
            }
        }
        work.result.whenComplete((ignored, error) -> {
            if (error instanceof RejectedWorkException rejected) {
                removeDropped(work, rejected.reason());
            }
        });
        return work;
    }

    /** Fails everything still queued; used at shutdown, after the server has drained. */
    void rejectQueued(String message) {
        List<QueuedWork> dropped;
        synchronized (this) {
            dropped = new ArrayList<>(pending);
        }
        dropped.forEach(work -> work.drop(Reason.SHUTTING_DOWN, message));
    }

    private synchronized void removeDropped(QueuedWork work, Reason reason) {
        if (pending.remove(work)) {
            pendingTokens -= work.tokens;
            metrics.rejected(reason);
        }
    }

    /** Called with the lock held, whenever the queue changes. */
    private void scheduleDrain() {
        if (pending.isEmpty()) {
            return;
        }
        if (pendingTokens >= context.policy().maxBatchTokens()) {
            if (!fullBatchQueued) {
                fullBatchQueued = true;
                context.executor().execute(() -> drain(true));
            }
        } else if (!timerArmed) {
            timerArmed = true;
            long waited = context.ticker().nanos() - pending.peekFirst().enqueuedNanos;
            long delay = Math.max(0, context.policy().maxQueueDelay().toNanos() - waited);
            context.executor().schedule(() -> drain(false), delay, TimeUnit.NANOSECONDS);
        }
    }

    private void drain(boolean fullBatch) {
        List<QueuedWork> batch;
        synchronized (this) {
            if (fullBatch) {
                fullBatchQueued = false;
            } else {
                timerArmed = false;
            }
            batch = takeBatch();
            scheduleDrain();
        }
        if (!batch.isEmpty()) {
            run(batch);
        }
    }

    /** Oldest first, up to max-batch-tokens; a request larger than that forms a batch of its own. */
    private List<QueuedWork> takeBatch() {
        List<QueuedWork> batch = new ArrayList<>();
        int tokens = 0;
        while (!pending.isEmpty()) {
            QueuedWork next = pending.peekFirst();
            if (!batch.isEmpty() && tokens + next.tokens > context.policy().maxBatchTokens()) {
                break;
            }
            pending.pollFirst();
            pendingTokens -= next.tokens;
            batch.add(next);
            tokens += next.tokens;
        }
        return batch;
    }

    private void run(List<QueuedWork> batch) {
        List<QueuedWork> live = liveWork(batch);
        if (live.isEmpty()) {
            return;
        }
        int tokens = live.stream().mapToInt(work -> work.tokens).sum();
        float[] x = live.size() == 1 ? live.getFirst().rows : gather(live, tokens);
        float[] out = new float[tokens * hidden];
        long start = context.ticker().nanos();
        try {
            context.runner().forward(weights, x, tokens, out);
        } catch (RuntimeException e) {
            LOG.error("{}: forward pass over {} tokens failed", unit, tokens, e);
            fail(live, e);
            return;
        } catch (Error e) {
            fail(live, e);
            throw e;
        }
        metrics.batch(tokens, context.ticker().nanos() - start);
        scatter(live, out);
    }

    private void fail(List<QueuedWork> live, Throwable cause) {
        RejectedWorkException failure = new RejectedWorkException(Reason.FAILED,
                unit + " forward pass failed (" + cause + "); see the expert service log", cause);
        live.forEach(work -> work.result.completeExceptionally(failure));
        metrics.rejected(Reason.FAILED);
    }

    /** Drops work whose deadline passed while it was queued, and skips work already dropped. */
    private List<QueuedWork> liveWork(List<QueuedWork> batch) {
        long now = context.ticker().nanos();
        List<QueuedWork> live = new ArrayList<>(batch.size());
        for (QueuedWork work : batch) {
            if (work.expiredAt(now)) {
                long waitedMillis = TimeUnit.NANOSECONDS.toMillis(now - work.enqueuedNanos);
                if (work.result.completeExceptionally(new RejectedWorkException(Reason.DEADLINE_EXCEEDED,
                        "deadline expired after " + waitedMillis + " ms in the " + unit
                                + " queue; allow a longer deadline or add replicas"))) {
                    metrics.rejected(Reason.DEADLINE_EXCEEDED);
                }
            } else if (!work.result.isDone()) {
                live.add(work);
            }
        }
        return live;
    }

    private float[] gather(List<QueuedWork> live, int tokens) {
        float[] x = new float[tokens * hidden];
        int offset = 0;
        for (QueuedWork work : live) {
            System.arraycopy(work.rows, 0, x, offset, work.tokens * hidden);
            offset += work.tokens * hidden;
        }
        return x;
    }

    private void scatter(List<QueuedWork> live, float[] out) {
        if (live.size() == 1) {
            live.getFirst().result.complete(out);
            return;
        }
        int offset = 0;
        for (QueuedWork work : live) {
            int length = work.tokens * hidden;
            float[] rows = new float[length];
            System.arraycopy(out, offset, rows, 0, length);
            work.result.complete(rows);
            offset += length;
        }
    }
}
