package io.moemesh.router.batching;

import io.moemesh.core.engine.ActiveSequence;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.SequenceFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waiting side of the {@link BatchScheduler}: checks and queues submitted requests, takes out
 * those whose clients left or that waited too long for KV cache, and moves those there is room for
 * into the running batch with their KV cache reserved. {@link #checkPrompt} and {@link #offer} are
 * thread-safe; the rest runs on the scheduler's thread.
 */
final class BatchAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);

    private final SequenceFactory sequences;
    private final SchedulerProperties limits;
    private final SchedulerStats stats;
    private final LongSupplier nanoTime;
    private final CallerQueue<Queued> queue;
    private final KvCacheBudget kvCache;
    private final AtomicInteger ids = new AtomicInteger();

    private record Queued(String caller, int[] promptIds, SamplingParams params, boolean refusePruned, int capacity,
            long kvBytes, long queuedAtNanos, GenerationSink sink) {
    }

    BatchAdmission(SequenceFactory sequences, SchedulerProperties limits, SchedulerStats stats, LongSupplier nanoTime) {
        this.sequences = sequences;
        this.limits = limits;
        this.stats = stats;
        this.nanoTime = nanoTime;
        this.queue = new CallerQueue<>(limits.maxQueuedRequests(), limits.maxQueuedPerCaller());
        this.kvCache = new KvCacheBudget(limits.kvCacheBudgetBytes());
    }

    /** @throws InadmissibleRequestException when the prompt cannot fit the model's context */
    void checkPrompt(int[] promptIds) {
        sequences.refusal(promptIds.length).ifPresent(reason -> {
            throw new InadmissibleRequestException(reason);
        });
    }

    /**
     * Queues a checked request of {@code caller}; false when the queue is closed (the loop has taken its
     * last element).
     *
     * @throws InadmissibleRequestException when its KV cache exceeds the whole KV cache budget
     * @throws OverloadedException          when the queue or the caller's share of it is full
     */
    boolean offer(String caller, int[] promptIds, SamplingParams params, boolean refusePruned, GenerationSink sink) {
        int capacity = sequences.capacity(promptIds.length, params.maxTokens());
        long kvBytes = KvCacheBudget.bytesFor(sequences.config(), capacity);
        kvCache.requireWithinBudget(kvBytes);
        Queued request = new Queued(caller, promptIds, params, refusePruned, capacity, kvBytes,
                nanoTime.getAsLong(), sink);
        return switch (queue.offer(caller, request)) {
            case ACCEPTED -> true;
            case CLOSED -> false;
            case QUEUE_FULL -> throw new OverloadedException("router queue is full (" + limits.maxQueuedRequests()
                    + " requests waiting); retry later");
            case CALLER_FULL -> throw new OverloadedException("this caller already has " + limits.maxQueuedPerCaller()
                    + " requests waiting to join the batch (moemesh.router.max-queued-per-caller); retry when some"
                    + " have started");
        };
    }

    KvCacheBudget kvCache() {
        return kvCache;
    }

    /** Requests waiting to join. */
    int queued() {
        return queue.size();
    }

    /** Waits up to {@code timeout} for a queued request; whether there is one. */
    boolean awaitQueued(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.awaitNotEmpty(timeout, unit);
    }

    /** Closes the queue if nothing waits (then {@link #offer} refuses); whether it did. */
    boolean closeIfEmpty() {
        return queue.closeIfEmpty();
    }

    /** Closes the queue and returns the sinks of every request that waited in it. */
    List<GenerationSink> closeAndDrain() {
        List<GenerationSink> sinks = new ArrayList<>();
        for (Queued q : queue.closeAndDrain()) {
            sinks.add(q.sink());
        }
        return sinks;
    }

    /**
     * Takes out of the queue the requests whose clients left, and those that have waited longer than
     * {@code maxKvCacheWait} and still do not fit what is left of the budget (refused, naming it).
     */
    void leaveQueue() {
        long now = nanoTime.getAsLong();
        long waitNanos = limits.maxKvCacheWait().toNanos();
        long free = kvCache.freeBytes();
        for (Queued q : queue.removeIf(q -> SinkCalls.isCancelled(q.sink())
                || (now - q.queuedAtNanos() > waitNanos && q.kvBytes() > free))) {
            if (SinkCalls.isCancelled(q.sink())) {
                stats.cancelled(0, 0);
            } else {
                stats.waitedTooLongForKvCache();
                SinkCalls.tellError(q.sink(), new OverloadedException(kvCache.waitedTooLong(q.kvBytes(),
                        limits.maxKvCacheWait())));
            }
        }
    }

    /**
     * Moves queued requests into {@code running} while there is room: the head of the caller holding
     * least KV cache waits (and everyone behind it) while the step's prefill or the KV cache budget is short.
     */
    void admitQueued(List<RunningRequest> running) {
        int prefill = running.stream().filter(r -> !r.sequence.prefilled())
                .mapToInt(r -> r.sequence.promptIds().length).sum();
        while (running.size() < limits.maxRunningSequences()) {
            CallerQueue.Head<Queued> head = queue.peek(kvCache::reservedBy);
            if (head == null) {
                return;
            }
            Queued next = head.element();
            if (prefill > 0 && prefill + next.promptIds().length > limits.maxPrefillTokens()) {
                return;
            }
            KvCacheBudget.Reservation kv = kvCache.tryReserve(next.caller(), next.kvBytes());
            if (kv == null) {
                return; // running requests give bytes back as they leave
            }
            queue.poll(head.caller());
            prefill += next.promptIds().length;
            admit(next, kv, running);
        }
    }

    private void admit(Queued q, KvCacheBudget.Reservation kv, List<RunningRequest> running) {
        if (SinkCalls.isCancelled(q.sink())) {
            kv.release();
            stats.cancelled(0, 0);
            return;
        }
        try {
            ActiveSequence sequence = sequences.start(ids.incrementAndGet(), q.promptIds(), q.params(), q.capacity());
            running.add(new RunningRequest(sequence, q.sink(), kv, q.refusePruned()));
        } catch (Exception e) {
            kv.release();
            stats.failed();
            LOG.warn("a request could not join the batch: {}", e.toString());
            SinkCalls.tellError(q.sink(), e);
        }
    }
}
