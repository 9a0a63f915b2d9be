package io.moemesh.router.batching;

import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.SequenceFactory;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.tracing.StepSpans;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 *
 * <p>One job per class: {@link BatchAdmission} queues requests and lets them in, {@link ForwardStep}
 * runs the model over the batch, and this class drives the loop, samples, delivers and fails requests.
 */
public final class BatchScheduler implements AutoCloseable {

    /** The caller of requests submitted without one: in-process users, tests. */
    public static final String UNIDENTIFIED_CALLER = "unidentified";

    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);
    private static final long IDLE_POLL_MILLIS = 50;

    private final int vocab;
    private final SchedulerStats stats;
    private final LongSupplier nanoTime;
    private final BatchAdmission admission;
    private final ForwardStep forward;
    private final List<RunningRequest> running = new ArrayList<>();
    private volatile boolean accepting = true;
    private volatile int runningCount; // published copy of running.size() for other threads
    private volatile long lastProgressNanos;
    private volatile Throwable loopFailure;
    private volatile Thread loop;

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
        this.vocab = dense.config().vocabSize();
        this.stats = stats;
        this.nanoTime = nanoTime;
        this.admission = new BatchAdmission(new SequenceFactory(dense.config(), tokenizer), limits, stats, nanoTime);
        this.forward = new ForwardStep(dense, experts, statistics, stats, stepSpans, limits.pingPongMinTokens());
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
        admission.checkPrompt(promptIds);
        if (loopFailure != null || !accepting) {
            throw stopped();
        }
        // the check above is a fast path only: the loop may end between it and the offer, so the
        // queue itself refuses once the loop has taken its last element (closed)
        if (!admission.offer(caller, promptIds, params, refusePrunedExperts, sink)) {
            throw stopped();
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
        return admission.queued() + runningCount;
    }

    public SchedulerStats stats() {
        return stats;
    }

    /** The KV cache budget and what running requests hold of it. */
    public KvCacheBudget kvCache() {
        return admission.kvCache();
    }

    /** The pruned set forward steps route by ({@code SetPrunedExperts} installs it). */
    public LivePruning pruning() {
        return forward.pruning();
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
            while (accepting || !running.isEmpty() || !admission.closeIfEmpty()) {
                if (running.isEmpty()) {
                    boolean work = admission.awaitQueued(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
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
        admission.leaveQueue();
        running.removeIf(this::leftByItsClient);
        admission.admitQueued(running);
        runningCount = running.size();
        if (!running.isEmpty()) {
            forwardAndSample(List.copyOf(running));
            runningCount = running.size();
            stats.stepped(System.nanoTime() - start);
        }
        progressed();
    }

    private boolean leftByItsClient(RunningRequest r) {
        if (!SinkCalls.isCancelled(r.sink)) {
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
            logits = forward.forward(batch);
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

    private void deliver(RunningRequest r, int token, String text, TokenLogprobs logprobs) {
        stats.generated();
        if (SinkCalls.isCancelled(r.sink)) {
            r.tokensAfterCancel++;
        }
        r.sink.onToken(token, text, logprobs);
    }

    /** KV positions a sequence needs: its prompt and what it may generate, within the model's context. */
    static int capacity(int promptTokens, int maxTokens, int context) {
        return SequenceFactory.capacity(promptTokens, maxTokens, context);
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
        SinkCalls.tellError(r.sink, e);
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
        sinks.addAll(admission.closeAndDrain());
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
                forward.close();
                return;
            }
        }
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            forward.close();
        }
    }
}
