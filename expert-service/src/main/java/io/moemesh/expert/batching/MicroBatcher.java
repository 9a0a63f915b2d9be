package io.moemesh.expert.batching;

import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.batching.RejectedWorkException.Reason;
import io.moemesh.expert.unit.UnitId;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Per-unit micro-batching over a fixed pool of workers: concurrent requests for the same unit are
 * merged into one forward pass (see {@link UnitQueue}). Merging is safe because the kernels are
 * batch-invariant: a token's output rows are bit-identical whatever batch computed them (ADR 0001).
 *
 * <p>Units are added and released at run time (re-placement). The queues are an immutable map
 * replaced on each change (copy on write), so {@link #submit} reads it without a lock. A released
 * queue takes no new work but finishes what it holds on the shared workers.
 *
 * <p>A batch that fails fails only its own requests (see {@link UnitQueue}); a batch that fails with
 * an {@link Error} also marks the batcher unhealthy for good ({@link #healthy()},
 * {@link #onFatalFailure}), so that the service stops reporting SERVING and gets restarted.
 */
public final class MicroBatcher implements AutoCloseable {

    /** Deadline of work that has none. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final long CLOSE_WAIT_SECONDS = 5;

    private final ScheduledThreadPoolExecutor executor;
    private final Ticker ticker;
    private final WorkerContext context;
    private final MeterRegistry registry;
    private final WorkerHealth health = new WorkerHealth();
    private volatile Map<UnitId, UnitQueue> queues = Map.of();
    /** Released queues that may still hold work, so that {@link #close()} can fail what they hold. */
    private final Set<UnitQueue> released = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public MicroBatcher(Map<UnitId, ExpertWeights> units, FfnRunner runner, BatchingPolicy policy, Ticker ticker,
            MeterRegistry registry) {
        this(units, runner, policy, ticker, registry, WorkSpans.OFF);
    }

    /** @param spans traces the queue wait and batch of work whose Compute call is traced */
    public MicroBatcher(Map<UnitId, ExpertWeights> units, FfnRunner runner, BatchingPolicy policy, Ticker ticker,
            MeterRegistry registry, WorkSpans spans) {
        this.ticker = ticker;
        this.executor = new ScheduledThreadPoolExecutor(policy.workers(), workerThreads());
        // A unit cancels its max-queue-delay timer whenever its queue empties; do not keep them queued.
        executor.setRemoveOnCancelPolicy(true);
        this.context = new WorkerContext(runner, policy, ticker, executor, health, spans);
        this.registry = registry;
        host(units);
    }

    /**
     * Serves {@code units} from now on, each with its own queue and meters. Add a unit here before
     * any caller may submit work for it.
     *
     * @throws IllegalArgumentException for a unit already served
     */
    public synchronized void host(Map<UnitId, ExpertWeights> units) {
        Map<UnitId, UnitQueue> next = new TreeMap<>(queues);
        units.forEach((unit, weights) -> {
            if (next.containsKey(unit)) {
                throw new IllegalArgumentException(unit + " is already served by this batcher");
            }
            next.put(unit, new UnitQueue(unit, weights, context, registry));
        });
        queues = Collections.unmodifiableMap(next);
    }

    /**
     * Stops taking work for {@code units} and removes their meters. Work already queued for them, or
     * running, completes normally; submitting more fails with {@link UnitNotServedException}.
     */
    public synchronized void release(Collection<UnitId> units) {
        Map<UnitId, UnitQueue> next = new TreeMap<>(queues);
        for (UnitId unit : units) {
            UnitQueue queue = next.remove(unit);
            if (queue != null) {
                queue.unregisterMeters();
                released.add(queue);
            }
        }
        queues = Collections.unmodifiableMap(next);
        released.removeIf(UnitQueue::idle);
    }

    /** The units that take work now, sorted by layer then expert. */
    public Set<UnitId> units() {
        return queues.keySet();
    }

    /**
     * Queues {@code tokens} rows ({@code tokens × hidden} floats) for {@code unit}.
     *
     * @param deadlineNanos on this batcher's {@link Ticker}, or {@link #NO_DEADLINE}
     * @throws RejectedWorkException {@code QUEUE_FULL} when the unit's queue cannot take the tokens,
     *                               {@code SHUTTING_DOWN} after {@link #close()}
     * @throws UnitNotServedException for a unit this batcher does not serve (never added, or released)
     */
    public QueuedWork submit(UnitId unit, float[] rows, int tokens, long deadlineNanos) {
        UnitQueue queue = queues.get(unit);
        if (queue == null) {
            throw new UnitNotServedException(unit);
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

    /** Tokens waiting in {@code unit}'s queue (not counting batches being computed); 0 for a unit not served. */
    public int queuedTokens(UnitId unit) {
        UnitQueue queue = queues.get(unit);
        return queue == null ? 0 : queue.queuedTokens();
    }

    public Ticker ticker() {
        return ticker;
    }

    /** False once a batch failed with an {@link Error}: the workers can no longer be trusted. */
    public boolean healthy() {
        return health.failure().isEmpty();
    }

    /**
     * {@code listener} is told, once, why the batcher became unhealthy: when it does, or at once if
     * it already is. It runs on the worker that failed, so it must be quick and must not block.
     */
    public void onFatalFailure(Consumer<String> listener) {
        health.onFatal(listener);
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
        String message = "expert service is shutting down; retry on another replica";
        queues.values().forEach(queue -> queue.rejectQueued(message));
        released.forEach(queue -> queue.rejectQueued(message));
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
