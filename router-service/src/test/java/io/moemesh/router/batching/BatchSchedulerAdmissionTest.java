package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.batching.BatchSchedulerTest.Collector;
import io.moemesh.router.batching.BatchSchedulerTest.ThrowingCollector;
import io.moemesh.router.health.SchedulerMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-caller fair queueing and the KV cache budget of the batch scheduler. */
class BatchSchedulerAdmissionTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final SamplingParams GREEDY_12 = new SamplingParams(0f, 0, 1f, 0, 12, List.of(), true);
    private static final long GIB = 1L << 30;

    private ModelConfig config;
    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private DenseTransformer dense;
    private LocalExperts local;

    @BeforeEach
    void load() {
        config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        local = LocalExperts.load(checkpoint, config, Kernels.best());
    }

    @AfterEach
    void close() {
        tokenizer.close();
        checkpoint.close();
    }

    private BatchScheduler scheduler(ExpertDispatch experts, int maxRunning, long kvBudget) {
        return new BatchScheduler(dense, experts, tokenizer, SchedulerProperties.builder()
                .maxRunningSequences(maxRunning).kvCacheBudgetBytes(kvBudget).build(), RoutingObserver.NONE);
    }

    /** A scheduler whose clock (for the wait on the KV cache budget) the test moves. */
    private BatchScheduler scheduler(long kvBudget, AtomicLong clock) {
        return new BatchScheduler(dense, local, tokenizer, SchedulerProperties.builder()
                .kvCacheBudgetBytes(kvBudget).maxKvCacheWait(Duration.ofSeconds(30)).build(), RoutingObserver.NONE, new SchedulerStats(), clock::get);
    }

    private static void stepUntilDone(BatchScheduler s, Collector c) {
        for (int i = 0; i < 1000 && !c.done.isDone(); i++) {
            s.step();
        }
    }

    /** KV bytes of a one-token prompt with max_tokens 12: 13 positions. */
    private long oneTokenRequestBytes() {
        return KvCacheBudget.bytesFor(config, 1 + GREEDY_12.maxTokens());
    }

    @Test
    void aCallerPastItsShareIsRefusedAndAnotherCallerIsAdmittedBeforeItsOtherRequests() {
        BatchScheduler s = scheduler(local, 2, GIB);
        List<Collector> a = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            a.add(new Collector());
            s.submit("caller a", new int[] {'a'}, GREEDY_12, a.getLast());
        }
        assertThatThrownBy(() -> s.submit("caller a", new int[] {'a'}, GREEDY_12, new Collector()))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("already has 32 requests waiting")
                .hasMessageContaining("moemesh.router.max-queued-per-caller");
        Collector b = new Collector();
        s.submit("caller b", new int[] {'b'}, GREEDY_12, b);

        s.step(); // room for two: a's first and b's, not a's second

        assertThat(a.getFirst().tokens).hasSize(1);
        assertThat(b.tokens).hasSize(1);
        assertThat(a.subList(1, 32)).allSatisfy(c -> assertThat(c.tokens).isEmpty());
        s.submit("caller a", new int[] {'a'}, GREEDY_12, new Collector()); // one of a's left the queue
        assertThat(s.load()).isEqualTo(2 + 32);
    }

    @Test
    void whatDoesNotFitWhatIsLeftWaitsInTheQueueAndWhatNeverFitsIsInvalid() {
        BatchScheduler s = scheduler(local, 32, 2 * oneTokenRequestBytes()); // 13 KiB: two such requests
        Collector a = new Collector();
        Collector b = new Collector();
        Collector c = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, a);
        s.submit(new int[] {'b'}, GREEDY_12, b);
        s.submit(new int[] {'c'}, GREEDY_12, c); // accepted: it waits for a's or b's bytes
        SamplingParams wholeContext = new SamplingParams(0f, 0, 1f, 0, Integer.MAX_VALUE, List.of(), true);
        assertThatThrownBy(() -> s.submit(new int[] {'d'}, wholeContext, new Collector()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 256 KiB, more than the router's whole KV cache budget of 13 KiB");
        assertThat(s.kvCache().reservedBytes()).isZero(); // queued requests hold nothing

        s.step();

        assertThat(s.kvCache().reservedBytes()).isEqualTo(2 * oneTokenRequestBytes());
        assertThat(a.tokens).hasSize(1);
        assertThat(b.tokens).hasSize(1);
        assertThat(c.tokens).isEmpty();
        assertThat(s.load()).isEqualTo(3);
        stepUntilDone(s, c);
        assertThat(c.done.join().tokenIds()).hasSize(12);
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void aCallerHoldingTheBudgetDoesNotKeepOtherCallersOutOfIt() {
        BatchScheduler s = scheduler(local, 32, 2 * oneTokenRequestBytes()); // room for two running requests
        Collector a1 = new Collector();
        Collector a2 = new Collector();
        s.submit("caller a", new int[] {'a'}, GREEDY_12, a1);
        s.step();
        s.submit("caller a", new int[] {'a'}, GREEDY_12, a2); // a1 finishes one step before a2
        s.step();
        List<Collector> aWaiting = List.of(new Collector(), new Collector());
        for (Collector c : aWaiting) {
            s.submit("caller a", new int[] {'a'}, GREEDY_12, c); // queued ahead of b: nobody is refused
        }
        Collector b = new Collector();
        s.submit("caller b", new int[] {'b'}, GREEDY_12, b);
        assertThat(s.kvCache().reservedBytes()).isEqualTo(2 * oneTokenRequestBytes());

        stepUntilDone(s, a1); // a1's bytes come back; a still holds a2's
        s.step();

        assertThat(b.tokens).hasSize(1);
        assertThat(aWaiting).allSatisfy(c -> assertThat(c.tokens).isEmpty());
        List.of(a2, b, aWaiting.get(0), aWaiting.get(1)).forEach(c -> stepUntilDone(s, c));
        assertThat(List.of(a1, a2, b, aWaiting.get(0), aWaiting.get(1)))
                .allSatisfy(c -> assertThat(c.done.join().tokenIds()).hasSize(12));
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void aRequestThatWaitedTooLongForTheBudgetIsRefusedNamingIt() {
        AtomicLong clock = new AtomicLong();
        BatchScheduler s = scheduler(oneTokenRequestBytes(), clock); // room for one running request
        Collector running = new Collector();
        Collector waiting = new Collector();
        Collector leaves = new Collector();
        s.submit("caller a", new int[] {'a'}, GREEDY_12, running);
        s.step();
        s.submit("caller b", new int[] {'b'}, GREEDY_12, waiting);
        s.submit("caller c", new int[] {'c'}, GREEDY_12, leaves);
        s.step();
        leaves.cancelled.set(true); // its client went while it waited: it leaves the queue at the next step
        s.step();
        assertThat(s.load()).isEqualTo(2);
        assertThat(waiting.done).isNotDone();

        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        s.step();

        assertThatThrownBy(waiting.done::join).cause().isInstanceOf(OverloadedException.class)
                .hasMessage("KV cache budget 6.5 KiB: 6.5 KiB reserved by running requests, this request needs"
                        + " 6.5 KiB and waited 30 s for it (moemesh.router.max-kv-cache-wait); retry later or lower"
                        + " max_tokens");
        assertThat(s.stats().refusedForKvCache()).isEqualTo(1);
        assertThat(s.stats().cancelledRequests()).isEqualTo(1);
        assertThat(s.load()).isEqualTo(1);
        stepUntilDone(s, running);
        assertThat(running.done.join().tokenIds()).hasSize(12);
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void everyWayOutOfTheBatchGivesItsKvBytesBack() {
        int poisonedPromptLength = 7; // the dispatch fails every step that carries 7 or more tokens
        ExpertDispatch poisoned = (layer, hidden, tokens, routes, out) -> {
            if (tokens >= poisonedPromptLength) {
                throw new IllegalStateException("expert backend cannot take " + tokens + " tokens");
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(poisoned, 32, GIB);
        Collector completes = new Collector();
        Collector cancelledRunning = new Collector();
        Collector cancelledQueued = new Collector();
        Collector failsInTheForward = new Collector();
        Collector sinkThrows = new ThrowingCollector();
        s.submit(new int[] {'a'}, GREEDY_12, completes);
        s.submit(new int[] {'b'}, GREEDY_12, cancelledRunning);
        s.submit(new int[] {'c'}, GREEDY_12, cancelledQueued);
        s.submit(new int[] {1, 2, 3, 4, 5, 6, 7}, GREEDY_12, failsInTheForward);
        s.submit(new int[] {'d'}, GREEDY_12, sinkThrows);
        cancelledQueued.cancelled.set(true);

        s.step(); // the cancelled one never joins; the one that fails in the forward leaves in this step
        assertThat(s.kvCache().reservedBytes()).isEqualTo(3 * oneTokenRequestBytes());
        cancelledRunning.cancelled.set(true);
        for (int i = 0; i < 12 && !completes.done.isDone(); i++) {
            s.step();
        }

        assertThat(completes.done.join().tokenIds()).hasSize(12);
        assertThat(failsInTheForward.done).isCompletedExceptionally();
        assertThat(sinkThrows.done).isCompletedExceptionally();
        assertThat(cancelledRunning.tokens).hasSize(1);
        assertThat(s.stats().cancelledRequests()).isEqualTo(2);
        assertThat(s.load()).isZero();
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void aLoopThatDiesGivesBackTheBytesOfRunningAndQueuedRequests() {
        AtomicBoolean outOfMemory = new AtomicBoolean(true);
        ExpertDispatch dying = (layer, hidden, tokens, routes, out) -> {
            if (outOfMemory.get()) {
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(dying, 1, GIB); // one runs, the other waits in the queue
        Collector running = new Collector();
        Collector queued = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, running);
        s.submit(new int[] {'b'}, GREEDY_12, queued);
        s.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> running.done.isDone() && queued.done.isDone());
        assertThat(running.done).isCompletedExceptionally();
        assertThat(queued.done).isCompletedExceptionally();
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void maxTokensOfIntMaxReservesTheWholeContextAndGivesItBack() {
        BatchScheduler s = scheduler(local, 32, GIB);
        Collector c = new Collector();
        s.submit(new int[] {'a'}, new SamplingParams(0f, 0, 1f, 0, Integer.MAX_VALUE, List.of(), true), c);
        int context = config.maxPositionEmbeddings();
        s.step();
        assertThat(s.kvCache().reservedBytes()).isEqualTo(KvCacheBudget.bytesFor(config, context));
        for (int i = 1; i < context && !c.done.isDone(); i++) {
            s.step();
        }

        assertThat(c.done.join().tokenIds()).hasSize(context - 1);
        assertThat(s.kvCache().reservedBytes()).isZero();
    }

    @Test
    void reservedAndBudgetBytesArePublishedAsPrometheusGauges() {
        BatchScheduler s = scheduler(local, 32, GIB);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new SchedulerMetrics(s).bindTo(registry);
        s.submit(new int[] {'a'}, GREEDY_12, new Collector());
        s.step();

        assertThat(registry.scrape()).contains("moemesh_router_kv_cache_reserved_bytes " + oneTokenRequestBytes() + ".0")
                .contains("moemesh_router_kv_cache_budget_bytes 1.073741824E9");
    }
}
