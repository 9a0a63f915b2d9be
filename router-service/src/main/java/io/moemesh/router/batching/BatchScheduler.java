package io.moemesh.router.batching;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.ActiveSequence;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.StepBatch;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous (iteration-level) batching, as in Orca (Yu et al., OSDI 2022): every step runs the
 * prompts of newly admitted requests together with one decode token of every running request, and
 * requests leave the batch the step they finish. One thread drives the steps; submission is
 * thread-safe and bounded.
 */
public final class BatchScheduler implements AutoCloseable {

    private final DenseTransformer dense;
    private final ExpertDispatch experts;
    private final TextTokenizer tokenizer;
    private final SchedulerProperties limits;
    private final RoutingObserver statistics;
    private final BlockingQueue<Queued> queue;
    private final List<RunningRequest> running = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile boolean accepting = true;
    private volatile int runningCount; // published copy of running.size() for other threads
    private Thread loop;

    private record Queued(int[] promptIds, SamplingParams params, GenerationSink sink) {
    }

    public BatchScheduler(DenseTransformer dense, ExpertDispatch experts, TextTokenizer tokenizer,
            SchedulerProperties limits, RoutingObserver statistics) {
        this.dense = dense;
        this.experts = experts;
        this.tokenizer = tokenizer;
        this.limits = limits;
        this.statistics = statistics;
        this.queue = new ArrayBlockingQueue<>(limits.maxQueuedRequests());
    }

    /** Starts the stepping thread. */
    public synchronized void start() {
        if (loop == null) {
            loop = Thread.ofPlatform().name("router-batch-scheduler").daemon().start(this::run);
        }
    }

    /**
     * Queues a request to join the batch.
     *
     * @throws IllegalArgumentException when the prompt cannot fit the model's context
     * @throws OverloadedException      when the queue is full or the scheduler is shutting down
     */
    public void submit(int[] promptIds, SamplingParams params, GenerationSink sink) {
        ModelConfig config = dense.config();
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (promptIds.length >= config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt of " + promptIds.length + " tokens leaves no room in the "
                    + "model's context of " + config.maxPositionEmbeddings() + " tokens");
        }
        if (!accepting || !queue.offer(new Queued(promptIds, params, sink))) {
            throw new OverloadedException(accepting
                    ? "router queue is full (" + limits.maxQueuedRequests() + " requests waiting); retry later"
                    : "router is shutting down");
        }
    }

    /** Requests waiting to join plus requests running. */
    public int load() {
        return queue.size() + runningCount;
    }

    private void run() {
        while (accepting || !running.isEmpty() || !queue.isEmpty()) {
            try {
                if (running.isEmpty()) {
                    Queued first = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    admit(first);
                }
                step();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Admits queued requests, runs one forward step, and hands every request its next token. */
    void step() {
        running.removeIf(r -> r.sink.isCancelled());
        admitQueued();
        runningCount = running.size();
        if (running.isEmpty()) {
            return;
        }
        List<RunningRequest> inStep = List.copyOf(running);
        StepBatch step = StepBatch.of(inStep.stream().map(r -> r.sequence).toList());
        float[] logits;
        try {
            logits = dense.forward(step.batch(), experts, observer(inStep, step.owner()));
        } catch (RuntimeException e) {
            inStep.forEach(r -> r.sink.onError(e));
            running.removeAll(inStep);
            return;
        }
        int vocab = dense.config().vocabSize();
        for (int i = 0; i < inStep.size(); i++) {
            RunningRequest r = inStep.get(i);
            r.sequence.accept(logits, i * vocab, vocab, (request, token, text) -> r.sink.onToken(token, text));
            if (r.sequence.finished()) {
                r.sink.onComplete(r.sequence.result(), r.skipped());
                running.remove(r);
            }
        }
        runningCount = running.size();
    }

    private void admitQueued() {
        int prefill = running.stream().filter(r -> !r.sequence.prefilled()).mapToInt(r -> r.sequence.promptIds().length).sum();
        while (running.size() < limits.maxRunningSequences()) {
            Queued next = queue.peek();
            if (next == null || (prefill > 0 && prefill + next.promptIds().length > limits.maxPrefillTokens())) {
                return;
            }
            queue.poll();
            prefill += next.promptIds().length;
            admit(next);
        }
    }

    private void admit(Queued q) {
        if (q.sink().isCancelled()) {
            return;
        }
        ModelConfig config = dense.config();
        int capacity = Math.min(config.maxPositionEmbeddings(), q.promptIds().length + q.params().maxTokens());
        ActiveSequence sequence = new ActiveSequence(ids.incrementAndGet(), q.promptIds(), q.params(),
                new KvCache(config, capacity), tokenizer, config.eosTokenId());
        running.add(new RunningRequest(sequence, q.sink()));
    }

    private RoutingObserver observer(List<RunningRequest> requests, int[] owner) {
        return new RoutingObserver() {
            @Override
            public void onRoute(int layer, int token, GateDecision decision) {
                statistics.onRoute(layer, token, decision);
            }

            @Override
            public void onSkip(int layer, int token, int expert) {
                requests.get(owner[token]).skip(layer, expert);
            }
        };
    }

    /** Stops admitting, lets queued and running requests finish, and waits for the stepping thread. */
    @Override
    public void close() {
        accepting = false;
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
