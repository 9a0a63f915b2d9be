package io.moemesh.expert.batching;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.RejectedWorkException.Reason;
import io.moemesh.expert.unit.UnitId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded queue of one unit, and how it becomes batches: dispatch when idle, batch while busy
 * (the dynamic batching of Clipper, NSDI 2017, and Triton's dynamic batcher).
 *
 * <ul>
 *   <li>Work that arrives while no batch of this unit is running or waiting for a worker is
 *       dispatched at once: a lone caller (one router sending one call per layer step) never waits
 *       for company that is not coming. When it has at most {@code inline-max-tokens} tokens it runs
 *       right there, on the submitting thread (the gRPC transport thread), which then also writes the
 *       answer: no hand-off to a worker and back.</li>
 *   <li>Work that arrives while a batch runs stays queued; when a batch of this unit completes,
 *       whatever is queued (up to {@code max-batch-tokens}) is dispatched at once as the next batch.</li>
 *   <li>Queued work never waits more than {@code max-queue-delay}: a timer armed for the oldest queued
 *       request dispatches it even if the running batch has not finished, and a queue that reaches
 *       {@code max-batch-tokens} dispatches at once. Those two are the only ways several batches of
 *       one unit come to run at the same time, on different workers.</li>
 * </ul>
 *
 * Every state change happens under this object's lock, and every change re-checks the queue, so work
 * that arrives as a batch completes is dispatched by one or the other, never stranded.
 *
 * <p>When a batch fails, whatever threw (the forward pass, gathering or scattering rows, the meters,
 * the clock), every request of that batch that has no answer yet fails with {@code FAILED} naming the
 * cause, the failure is logged at ERROR, and the unit goes on with its next batch: one bad batch
 * costs its own requests and nothing else. A computed batch is counted before its rows are handed
 * out, and a meter that fails there is only logged, so it fails no answer. A batch that fails with an {@link Error} also
 * marks the workers unhealthy ({@link WorkerHealth}): the process should be restarted.
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
    /** Batches of this unit taken from the queue and not yet finished. */
    private int running;
    /** A drain is in the executor and will take from the queue when a worker picks it up. */
    private boolean drainQueued;
    private ScheduledFuture<?> timer;
    /** The queued work the timer is armed for; work leaves the queue once, so a timer armed for
     *  anything else is stale. */
    private QueuedWork timerFor;

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

    /** Nothing queued, running or about to run: a released queue in this state is finished. */
    synchronized boolean idle() {
        return pending.isEmpty() && running == 0 && !drainQueued;
    }

    /** The unit was released: stop publishing its meters. Work already queued still runs. */
    void unregisterMeters() {
        metrics.remove();
    }

    QueuedWork submit(float[] rows, int tokens, long deadlineNanos) {
        QueuedWork work = new QueuedWork(rows, tokens, deadlineNanos, context.ticker().nanos());
        context.spans().queued(work, unit);
        boolean inline;
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
            inline = running == 0 && !drainQueued && pendingTokens <= context.policy().inlineMaxTokens();
            if (inline) {
                drainQueued = true; // work submitted meanwhile queues behind this drain, as behind a worker's
            } else {
                try {
                    scheduleDrain(false);
                } catch (RejectedExecutionException e) {
                    pending.removeLast();
                    pendingTokens -= tokens;
                    throw e;
                }
            }
        }
        work.result.whenComplete((ignored, error) -> {
            if (error instanceof RejectedWorkException rejected) {
                removeDropped(work, rejected.reason());
            }
        });
        if (inline) {
            drain(null); // answered (or failed) when this returns
        }
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
            rescheduleAfter(false);
        }
    }

    /**
     * Called with the lock held whenever the queue or the running count changes: dispatches the
     * queue when the unit is idle, when a batch of it just finished ({@code batchFinished}) or when
     * a full batch is queued; otherwise keeps a timer armed for the oldest queued work.
     */
    private void scheduleDrain(boolean batchFinished) {
        if (pending.isEmpty()) {
            cancelTimer();
            return;
        }
        boolean idle = running == 0 || batchFinished;
        if (!drainQueued && (idle || pendingTokens >= context.policy().maxBatchTokens())) {
            context.executor().execute(() -> drain(null));
            drainQueued = true;
        } else {
            armTimerFor(pending.peekFirst());
        }
    }

    /** {@link #scheduleDrain} off the submit path: a refusal means shutdown, and close() fails what is left. */
    private void rescheduleAfter(boolean batchFinished) {
        try {
            scheduleDrain(batchFinished);
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: worker pool shut down; {} queued tokens left for close()", unit, pendingTokens);
        }
    }

    private void armTimerFor(QueuedWork oldest) {
        if (timerFor == oldest) {
            return;
        }
        cancelTimer();
        long waited = context.ticker().nanos() - oldest.enqueuedNanos;
        long delay = Math.max(0, context.policy().maxQueueDelay().toNanos() - waited);
        timer = context.executor().schedule(() -> drain(oldest), delay, TimeUnit.NANOSECONDS);
        timerFor = oldest;
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
            timerFor = null;
        }
    }

    /**
     * Takes one batch and runs it. {@code timedOut} is null for a dispatched drain, or the work a
     * timer was armed for when the timer fires.
     */
    private void drain(QueuedWork timedOut) {
        List<QueuedWork> batch;
        synchronized (this) {
            if (timedOut == null) {
                drainQueued = false;
            } else if (timerFor != timedOut) {
                return;
            } else {
                timer = null;
                timerFor = null;
            }
            batch = takeBatch();
            if (batch.isEmpty()) {
                return;
            }
            running++;
            rescheduleAfter(false);
        }
        try {
            run(batch);
        } finally {
            synchronized (this) {
                running--;
                rescheduleAfter(true);
            }
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

    /** Runs one batch; answers every request of it, whatever throws (see the class comment). */
    private void run(List<QueuedWork> batch) {
        try {
            compute(batch);
        } catch (RuntimeException e) {
            LOG.error("{}: a batch of {} requests failed; failing those not answered yet, the next batch runs as "
                    + "usual", unit, batch.size(), e);
            fail(batch, e);
        } catch (Error e) {
            LOG.error("{}: a batch of {} requests failed with an Error; reporting the expert service unhealthy "
                    + "and failing those not answered yet", unit, batch.size(), e);
            try {
                context.health().fatal(unit + " batch failed with " + e); // unhealthy before its callers hear
            } finally {
                fail(batch, e);
            }
            throw e;
        }
    }

    private void compute(List<QueuedWork> batch) {
        List<QueuedWork> live = liveWork(batch);
        if (live.isEmpty()) {
            return;
        }
        int tokens = live.stream().mapToInt(work -> work.tokens).sum();
        float[] x = live.size() == 1 ? live.getFirst().rows : gather(live, tokens);
        float[] out = new float[tokens * hidden];
        context.spans().computing(live, unit, tokens);
        long start = context.ticker().nanos();
        context.runner().forward(weights, x, tokens, out);
        long elapsed = context.ticker().nanos() - start;
        record(live, start, tokens, elapsed); // before the answers, so that a caller that got one sees it counted
        scatter(live, out);
    }

    /** Counts a computed batch and its requests' queue delays; a meter that fails is logged and costs no answer. */
    private void record(List<QueuedWork> live, long startNanos, int tokens, long elapsedNanos) {
        try {
            metrics.batch(tokens, elapsedNanos);
            for (QueuedWork work : live) {
                metrics.queued(startNanos - work.enqueuedNanos);
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: could not record a batch of {} tokens in its meters: {}", unit, tokens, e.toString());
        }
    }

    /** Fails the work still unanswered (answered or dropped work keeps its result), then counts it. */
    private void fail(List<QueuedWork> batch, Throwable cause) {
        RejectedWorkException failure = new RejectedWorkException(Reason.FAILED,
                unit + " batch failed (" + cause + "); see the expert service log", cause);
        int failed = 0;
        for (QueuedWork work : batch) {
            if (work.result.completeExceptionally(failure)) {
                failed++;
            }
        }
        for (int i = 0; i < failed; i++) {
            metrics.rejected(Reason.FAILED);
        }
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
