package io.moemesh.router.batching;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.ActiveSequence;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.StepBatch;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.tracing.StepSpans;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous (iteration-level) batching, as in Orca (Yu et al., OSDI 2022): every step runs the
 * prompts of newly admitted requests together with one decode token of every running request, and
 * requests leave the batch the step they finish. One thread drives the steps; submission is
 * thread-safe and bounded.
 *
 * <p>What one request's failure does: whatever its admission, its sink (the client's stream), the
 * sampler or the tokenizer throws ends that request with an error and nothing else. A forward step
 * that throws is re-run one request at a time (the KV cache is written by position, so re-running a
 * step is safe), so only the requests that fail alone are failed. A cancelled request leaves the
 * batch before the next step. Only an {@link Error}, or an exception from the scheduler's own
 * bookkeeping (a bug, after which its state cannot be trusted), stops the loop: then every request
 * gets an error, new ones are refused, and {@link #health} reports it as fatal, so the router turns
 * its health NOT_SERVING and exits for a supervisor to restart it.
 *
 * <p>Admission is per caller and memory-aware: the queue is a {@link CallerQueue} (a share per
 * caller, round-robin across callers, the caller whose running requests hold least KV cache first),
 * and a request reserves its whole KV cache from the {@link KvCacheBudget} when it joins the batch,
 * until it leaves, however it leaves. The request whose turn it is waits while the budget has too
 * little left for it (as it waits while the step's prefill is full), so a caller that holds the
 * budget gets none of what frees up before the callers waiting behind it. Only a request larger
 * than the whole budget is refused at once; one that waits longer than {@code maxKvCacheWait} and
 * still does not fit is refused then, naming the budget.
 */
public final class BatchScheduler implements AutoCloseable {

    /** The caller of requests submitted without one: in-process users, tests. */
    public static final String UNIDENTIFIED_CALLER = "unidentified";

    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);
    private static final long IDLE_POLL_MILLIS = 50;
    /**
     * How long installing a pruned set waits for forward steps on the previous one: the default stall
     * timeout, since a step slower than that already marks the scheduler stalled.
     */
    private static final Duration PRUNING_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final DenseTransformer dense;
    private final ExpertDispatch experts;
    private final TextTokenizer tokenizer;
    private final SchedulerProperties limits;
    private final RoutingObserver statistics;
    private final SchedulerStats stats;
    private final LongSupplier nanoTime;
    private final CallerQueue<Queued> queue;
    private final KvCacheBudget kvCache;
    private final PingPong pingPong;
    private final StepSpans stepSpans;
    private final LivePruning pruning = new LivePruning(PRUNING_DRAIN_TIMEOUT);
    private final List<RunningRequest> running = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile boolean accepting = true;
    private volatile int runningCount; // published copy of running.size() for other threads
    private volatile long lastProgressNanos;
    private volatile Throwable loopFailure;
    private volatile Thread loop;

    private record Queued(String caller, int[] promptIds, SamplingParams params, boolean refusePruned, int capacity,
            long kvBytes, long queuedAtNanos, GenerationSink sink) {
    }

    public BatchScheduler(DenseTransformer dense, ExpertDispatch experts, TextTokenizer tokenizer,
            SchedulerProperties limits, RoutingObserver statistics) {
        this(dense, experts, tokenizer, limits, statistics, new SchedulerStats(), System::nanoTime);
    }

    /** @param nanoTime the clock of the progress watchdog ({@link #health}); tests move it */
    public BatchScheduler(DenseTransformer dense, ExpertDispatch experts, TextTokenizer tokenizer,
            SchedulerProperties limits, RoutingObserver statistics, SchedulerStats stats, LongSupplier nanoTime) {
        this(dense, experts, tokenizer, limits, statistics, stats, nanoTime, StepSpans.OFF);
    }

    /** @param stepSpans spans of the steps that serve sampled requests (docs/observability.md#tracing) */
    public BatchScheduler(DenseTransformer dense, ExpertDispatch experts, TextTokenizer tokenizer,
            SchedulerProperties limits, RoutingObserver statistics, SchedulerStats stats, LongSupplier nanoTime,
            StepSpans stepSpans) {
        this.stepSpans = stepSpans;
        this.dense = dense;
        this.experts = experts;
        this.tokenizer = tokenizer;
        this.limits = limits;
        this.statistics = statistics;
        this.stats = stats;
        this.nanoTime = nanoTime;
        this.queue = new CallerQueue<>(limits.maxQueuedRequests(), limits.maxQueuedPerCaller());
        this.kvCache = new KvCacheBudget(limits.kvCacheBudgetBytes());
        this.pingPong = new PingPong(limits.pingPongMinTokens());
        this.lastProgressNanos = nanoTime.getAsLong();
    }

    /** Starts the stepping thread. */
    public synchronized void start() {
        if (loop == null) {
            progressed();
            loop = Thread.ofPlatform().name("router-batch-scheduler").daemon().start(this::run);
        }
    }

    /** Queues a request of {@link #UNIDENTIFIED_CALLER}; see {@link #submit(String, int[], SamplingParams, GenerationSink)}. */
    public void submit(int[] promptIds, SamplingParams params, GenerationSink sink) {
        submit(UNIDENTIFIED_CALLER, promptIds, params, sink);
    }

    /**
     * Queues a request of {@code caller} to join the batch; it reserves its KV cache when it joins.
     *
     * @throws InadmissibleRequestException when the prompt cannot fit the model's context, or its KV cache the whole
     *                                   KV cache budget
     * @throws OverloadedException       when the queue or the caller's share of it is full
     * @throws SchedulerStoppedException when the scheduler is shutting down or its loop died
     */
    public void submit(String caller, int[] promptIds, SamplingParams params, GenerationSink sink) {
        submit(caller, promptIds, params, false, sink);
    }

    /**
     * As {@link #submit(String, int[], SamplingParams, GenerationSink)}; with {@code refusePrunedExperts} the
     * request ends with {@link PrunedExpertRefusedException} the first step one of its tokens wants a pruned
     * expert, instead of being served by the next-best one.
     */
    public void submit(String caller, int[] promptIds, SamplingParams params, boolean refusePrunedExperts,
            GenerationSink sink) {
        ModelConfig config = dense.config();
        if (promptIds.length == 0) {
            throw new InadmissibleRequestException("the prompt is empty");
        }
        if (promptIds.length >= config.maxPositionEmbeddings()) {
            throw new InadmissibleRequestException("prompt of " + promptIds.length + " tokens leaves no room in the "
                    + "model's context of " + config.maxPositionEmbeddings() + " tokens");
        }
        if (loopFailure != null || !accepting) {
            throw stopped();
        }
        // long arithmetic: max_tokens may be anything up to Integer.MAX_VALUE here
        int capacity = capacity(promptIds.length, params.maxTokens(), config.maxPositionEmbeddings());
        long kvBytes = KvCacheBudget.bytesFor(config, capacity);
        kvCache.requireWithinBudget(kvBytes);
        Queued request = new Queued(caller, promptIds, params, refusePrunedExperts, capacity, kvBytes,
                nanoTime.getAsLong(), sink);
        // the checks above are a fast path only: the loop may end between them and the offer, so the
        // queue itself refuses once the loop has taken its last element (CLOSED)
        switch (queue.offer(caller, request)) {
            case ACCEPTED -> {
            }
            case CLOSED -> throw stopped();
            case QUEUE_FULL -> throw new OverloadedException("router queue is full (" + limits.maxQueuedRequests()
                    + " requests waiting); retry later");
            case CALLER_FULL -> throw new OverloadedException("this caller already has " + limits.maxQueuedPerCaller()
                    + " requests waiting to join the batch (moemesh.router.max-queued-per-caller); retry when some"
                    + " have started");
        }
    }

    private SchedulerStoppedException stopped() {
        // what killed the loop is in the log and health: clients (via the gateway) get no exception text
        return new SchedulerStoppedException(loopFailure != null
                ? "the router's batch scheduler stopped; the router is restarting, retry on another router"
                : "router is shutting down; retry on another router");
    }

    /** Requests waiting to join plus requests running. */
    public int load() {
        return queue.size() + runningCount;
    }

    public SchedulerStats stats() {
        return stats;
    }

    /** The KV cache budget and what running requests hold of it. */
    public KvCacheBudget kvCache() {
        return kvCache;
    }

    /** The pruned set forward steps route by ({@code SetPrunedExperts} installs it). */
    public LivePruning pruning() {
        return pruning;
    }

    /** Whether the loop is alive and, while work waits, has finished a step within {@code stallTimeout}. */
    public SchedulerHealth health(Duration stallTimeout) {
        Throwable failure = loopFailure;
        if (failure != null) {
            return SchedulerHealth.dead("the batch scheduler's loop died: " + failure);
        }
        Thread t = loop;
        if (t != null && !t.isAlive() && accepting) {
            return SchedulerHealth.dead("the batch scheduler's thread is not running");
        }
        long quietNanos = nanoTime.getAsLong() - lastProgressNanos;
        int load = load();
        if (load > 0 && quietNanos > stallTimeout.toNanos()) {
            return SchedulerHealth.stalled("no batch step finished for " + quietNanos / 1_000_000 + " ms while "
                    + load + " requests wait or run (stall timeout " + stallTimeout.toMillis() + " ms)");
        }
        return SchedulerHealth.OK;
    }

    private void run() {
        try {
            // closeIfEmpty, not isEmpty: a submit that passed its checks may still be about to offer
            while (accepting || !running.isEmpty() || !queue.closeIfEmpty()) {
                if (running.isEmpty()) {
                    boolean work = queue.awaitNotEmpty(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                    progressed(); // idle: nothing is waiting
                    if (!work) {
                        continue;
                    }
                }
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failEverything(new SchedulerStoppedException("the router stopped before the request finished"));
        } catch (Throwable t) {
            died(t);
        }
    }

    /** Admits queued requests, runs one forward step, and hands every request its next token. */
    void step() {
        long start = System.nanoTime();
        leaveQueue();
        running.removeIf(this::leftByItsClient);
        admitQueued();
        runningCount = running.size();
        if (!running.isEmpty()) {
            forwardAndSample(List.copyOf(running));
            runningCount = running.size();
            stats.stepped(System.nanoTime() - start);
        }
        progressed();
    }

    private boolean leftByItsClient(RunningRequest r) {
        if (!isCancelled(r.sink)) {
            return false;
        }
        r.kv.release(); // removeIf takes it out of the batch
        stats.cancelled(r.sequence.generatedTokens(), r.tokensAfterCancel);
        return true;
    }

    /**
     * One forward pass for {@code batch}, then one token for each request. A pass that throws is
     * run again for each request alone, so that one request's failure does not fail the others.
     */
    private void forwardAndSample(List<RunningRequest> batch) {
        float[] logits;
        try {
            long start = System.nanoTime();
            logits = pingPong.forward(batch, BatchScheduler::stepTokens, this::forward);
            stats.forwarded(batch.stream().mapToInt(BatchScheduler::stepTokens).sum(), System.nanoTime() - start);
        } catch (Exception e) {
            if (batch.size() == 1) {
                fail(batch.getFirst(), e);
                return;
            }
            LOG.warn("a step of {} requests failed ({}); running each alone to fail only the ones that fail",
                    batch.size(), e.toString());
            batch.forEach(r -> forwardAndSample(List.of(r)));
            return;
        }
        int vocab = dense.config().vocabSize();
        for (int i = 0; i < batch.size(); i++) {
            RunningRequest r = batch.get(i);
            if (r.refused() != null) { // its logits came through an expert it refused to be served by
                fail(r, r.refused());
                continue;
            }
            try {
                r.sequence.accept(logits, i * vocab, vocab, (request, token, text, logprobs) -> deliver(r, token, text, logprobs));
                if (r.sequence.finished()) {
                    leave(r);
                    r.sink.onComplete(r.sequence.result(), r.skipped(), r.pruned());
                    stats.completed(); // after: a completion its sink cannot take is counted failed, once
                }
            } catch (Exception e) {
                fail(r, e);
            }
        }
    }

    /** Tokens a request adds to a step: its prompt until it is prefilled, then one. */
    private static int stepTokens(RunningRequest r) {
        return r.sequence.prefilled() ? 1 : r.sequence.promptIds().length;
    }

    /** One forward pass over {@code requests}, on the calling thread. */
    private float[] forward(List<RunningRequest> requests) {
        StepBatch step = StepBatch.of(requests.stream().map(r -> r.sequence).toList());
        BitSet degraded = new BitSet();
        StepSpans.Step traced = stepSpans.start(requests, RunningRequest::span, step.owner().length); // null: untraced
        try (LivePruning.Step pruned = pruning.enter()) {
            float[] logits = dense.forward(step.batch(), experts, pruned.experts(),
                    observer(requests, step.owner(), degraded));
            stats.degraded(degraded.cardinality());
            return logits;
        } catch (RuntimeException | Error e) {
            if (traced != null) {
                traced.failed(e);
            }
            throw e;
        } finally {
            if (traced != null) {
                traced.end();
            }
        }
    }

    private void deliver(RunningRequest r, int token, String text, TokenLogprobs logprobs) {
        stats.generated();
        if (isCancelled(r.sink)) {
            r.tokensAfterCancel++;
        }
        r.sink.onToken(token, text, logprobs);
    }

    /**
     * Takes out of the queue the requests whose clients left, and those that have waited longer than
     * {@code maxKvCacheWait} and still do not fit what is left of the budget (refused, naming it).
     */
    private void leaveQueue() {
        long now = nanoTime.getAsLong();
        long waitNanos = limits.maxKvCacheWait().toNanos();
        long free = kvCache.freeBytes();
        for (Queued q : queue.removeIf(q -> isCancelled(q.sink())
                || (now - q.queuedAtNanos() > waitNanos && q.kvBytes() > free))) {
            if (isCancelled(q.sink())) {
                stats.cancelled(0, 0);
            } else {
                stats.waitedTooLongForKvCache();
                tellError(q.sink(), new OverloadedException(kvCache.waitedTooLong(q.kvBytes(),
                        limits.maxKvCacheWait())));
            }
        }
    }

    /**
     * Admits queued requests while there is room: the head of the caller holding least KV cache
     * waits (and everyone behind it) while the step's prefill or the KV cache budget is short.
     */
    private void admitQueued() {
        int prefill = running.stream().filter(r -> !r.sequence.prefilled()).mapToInt(r -> r.sequence.promptIds().length).sum();
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
            admit(next, kv);
        }
    }

    private void admit(Queued q, KvCacheBudget.Reservation kv) {
        if (isCancelled(q.sink())) {
            kv.release();
            stats.cancelled(0, 0);
            return;
        }
        try {
            ModelConfig config = dense.config();
            ActiveSequence sequence = new ActiveSequence(ids.incrementAndGet(), q.promptIds(), q.params(),
                    new KvCache(config, q.capacity()), tokenizer, config.eosTokenId());
            running.add(new RunningRequest(sequence, q.sink(), kv, q.refusePruned()));
        } catch (Exception e) {
            kv.release();
            stats.failed();
            LOG.warn("a request could not join the batch: {}", e.toString());
            tellError(q.sink(), e);
        }
    }

    /** KV positions a sequence needs: its prompt and what it may generate, within the model's context. */
    static int capacity(int promptTokens, int maxTokens, int context) {
        return (int) Math.min(context, (long) promptTokens + maxTokens);
    }

    /** Takes a request out of the batch and gives its KV cache bytes back. */
    private void leave(RunningRequest r) {
        running.remove(r);
        r.kv.release();
    }

    private void fail(RunningRequest r, Exception e) {
        leave(r);
        stats.failed();
        try (var inTrace = r.sink.span().inScope()) { // the log line carries the request's trace id
            LOG.warn("request {} failed and left the batch: {}", r.sequence.request(), e.toString());
        }
        tellError(r.sink, e);
    }

    private static void tellError(GenerationSink sink, Throwable error) {
        try {
            sink.onError(error);
        } catch (Exception e) {
            LOG.warn("could not report a failure to its client: {}", e.toString());
        }
    }

    private static boolean isCancelled(GenerationSink sink) {
        try {
            return sink.isCancelled();
        } catch (Exception e) {
            return true; // a sink that cannot answer cannot take tokens either
        }
    }

    private void died(Throwable t) {
        loopFailure = t;
        accepting = false;
        LOG.error("the batch scheduler's loop died; failing its {} requests, the router must restart", load(), t);
        failEverything(new SchedulerStoppedException("the router's batch scheduler stopped; the request did not"
                + " finish"));
    }

    private void failEverything(RuntimeException reason) {
        List<GenerationSink> sinks = new ArrayList<>();
        running.forEach(r -> {
            r.kv.release();
            sinks.add(r.sink);
        });
        running.clear();
        for (Queued q : queue.closeAndDrain()) {
            sinks.add(q.sink());
        }
        runningCount = 0;
        for (GenerationSink sink : sinks) {
            try {
                sink.onError(reason);
            } catch (Throwable e) {
                LOG.warn("could not report the scheduler's failure to a client: {}", e.toString());
            }
        }
    }

    private void progressed() {
        lastProgressNanos = nanoTime.getAsLong();
    }

    /**
     * @param degraded collects the tokens (indices in the step's batch) that missed an unavailable expert;
     *                 tokens routed away from a pruned expert are counted per request, not degraded
     */
    private RoutingObserver observer(List<RunningRequest> requests, int[] owner, BitSet degraded) {
        return new RoutingObserver() {
            @Override
            public void onRoute(int layer, int token, GateDecision decision) {
                statistics.onRoute(layer, token, decision);
            }

            @Override
            public void onPrunedRoute(int layer, int token, GateDecision served, GateDecision wanted) {
                statistics.onPrunedRoute(layer, token, served, wanted);
            }

            @Override
            public void onSkip(int layer, int token, int expert) {
                requests.get(owner[token]).skip(layer, expert);
                degraded.set(token);
            }

            @Override
            public void onPrune(int layer, int token, int expert) {
                requests.get(owner[token]).prune(layer, expert);
                stats.prunedAway();
            }
        };
    }

    /**
     * Stops admitting, lets queued and running requests finish, and waits for the stepping thread; a
     * scheduler that never started fails what it queued (UNAVAILABLE).
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            accepting = false;
            t = loop;
            if (t == null) { // never started: nothing else will answer what waits
                failEverything(new SchedulerStoppedException("router is shutting down; retry on another router"));
                pingPong.close();
                return;
            }
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pingPong.close();
        }
    }
}
