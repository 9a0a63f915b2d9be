package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final SamplingParams GREEDY_12 = new SamplingParams(0f, 0, 1f, 0, 12, List.of(), true);

    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private DenseTransformer dense;
    private LocalExperts local;

    @BeforeEach
    void load() {
        ModelConfig config = ModelConfig.load(MODEL);
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

    /** Collects one request's output. */
    static final class Collector implements GenerationSink {
        final CompletableFuture<Generation> done = new CompletableFuture<>();
        final List<Integer> tokens = new CopyOnWriteArrayList<>();
        volatile List<SkippedExpert> skipped;
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void onToken(int tokenId, String text) {
            tokens.add(tokenId);
        }

        @Override
        public void onComplete(Generation generation, List<SkippedExpert> skipped) {
            this.skipped = skipped;
            done.complete(generation);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }

        @Override
        public boolean isCancelled() {
            return cancelled.get();
        }
    }

    private int[] reference(String prompt) {
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            return engine.generate(prompt, GREEDY_12, TokenListener.NONE).tokenIds();
        }
    }

    private BatchScheduler scheduler(ExpertDispatch experts, SchedulerProperties limits) {
        return new BatchScheduler(dense, experts, tokenizer, limits, RoutingObserver.NONE);
    }

    @Test
    void requestsThatJoinMidwayGenerateWhatTheyWouldAlone() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        Collector a = new Collector();
        Collector b = new Collector();
        s.submit(tokenizer.encode("The quick brown fox"), GREEDY_12, a);
        s.step();
        s.step();
        s.step();
        s.submit(tokenizer.encode("Zürich"), GREEDY_12, b); // joins while a is decoding
        for (int i = 0; i < 12; i++) {
            s.step();
        }

        assertThat(a.done.join().tokenIds()).containsExactly(reference("The quick brown fox"));
        assertThat(b.done.join().tokenIds()).containsExactly(reference("Zürich"));
        assertThat(a.skipped).isEmpty();
    }

    @Test
    void refusesWorkWhenTheQueueIsFull() {
        BatchScheduler s = scheduler(local, new SchedulerProperties(1, 4, 64));
        s.submit(new int[] {1, 2}, GREEDY_12, new Collector());

        assertThatThrownBy(() -> s.submit(new int[] {3}, GREEDY_12, new Collector()))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("queue is full (1 requests waiting)");
    }

    @Test
    void aCancelledRequestLeavesTheBatch() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        Collector c = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, c);
        s.step();
        c.cancelled.set(true);
        s.step();

        assertThat(c.tokens).hasSize(1);
        assertThat(s.load()).isZero();
    }

    @Test
    void aFailedStepFailsItsRequestsAndTheSchedulerCarriesOn() {
        AtomicBoolean broken = new AtomicBoolean(true);
        ExpertDispatch flaky = (layer, hidden, tokens, routes, out) -> {
            if (broken.get()) {
                throw new IllegalStateException("expert backend exploded");
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(flaky, SchedulerProperties.defaults());
        Collector failed = new Collector();
        s.submit(new int[] {'a'}, GREEDY_12, failed);
        s.step();
        broken.set(false);
        Collector ok = new Collector();
        s.submit(tokenizer.encode("Zürich"), GREEDY_12, ok);
        for (int i = 0; i < 12; i++) {
            s.step();
        }

        assertThat(failed.done).isCompletedExceptionally();
        assertThat(ok.done.join().tokenIds()).containsExactly(reference("Zürich"));
    }

    @Test
    void reportsTheExpertsARequestHadToSkip() {
        ExpertDispatch withoutExpert2 = new ExpertDispatch() {
            @Override
            public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
                local.combine(layer, hidden, tokens, routes, out);
            }

            @Override
            public boolean isAvailable(int layer, int expert) {
                return expert != 2;
            }
        };
        BatchScheduler s = scheduler(withoutExpert2, SchedulerProperties.defaults());
        Collector c = new Collector();
        s.submit(tokenizer.encode("The quick brown fox jumps over the lazy dog"), GREEDY_12, c);
        for (int i = 0; i < 12; i++) {
            s.step();
        }

        c.done.join();
        assertThat(c.skipped).isNotEmpty().allMatch(k -> k.expert() == 2 && k.tokens() > 0);
    }

    @Test
    void theSchedulerThreadServesConcurrentRequestsAndDrainsOnClose() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        s.start();
        List<Collector> collectors = List.of(new Collector(), new Collector(), new Collector());
        List<String> prompts = List.of("Hello", "The quick brown fox", "Zürich");
        for (int i = 0; i < 3; i++) {
            s.submit(tokenizer.encode(prompts.get(i)), GREEDY_12, collectors.get(i));
        }
        s.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> collectors.stream().allMatch(c -> c.done.isDone()));
        for (int i = 0; i < 3; i++) {
            assertThat(collectors.get(i).done.join().tokenIds()).containsExactly(reference(prompts.get(i)));
        }
        assertThatThrownBy(() -> s.submit(new int[] {1}, GREEDY_12, new Collector()))
                .isInstanceOf(OverloadedException.class).hasMessageContaining("shutting down");
    }
}
