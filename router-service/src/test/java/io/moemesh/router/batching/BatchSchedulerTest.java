package io.moemesh.router.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.engine.TokenLogprobs;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
    static class Collector implements GenerationSink {
        final CompletableFuture<Generation> done = new CompletableFuture<>();
        final List<Integer> tokens = new CopyOnWriteArrayList<>();
        volatile List<ReroutedExpert> skipped;
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public void onToken(int tokenId, String text, TokenLogprobs logprobs) {
            tokens.add(tokenId);
        }

        @Override
        public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
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
    void pingPongHalvesGenerateWhatOneBatchDoes() {
        // every step of three or more tokens runs as two halves on two threads
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults().withPingPong(3));
        List<String> prompts = List.of("The quick brown fox", "Zürich", "a", "Hello, world");
        List<Collector> collectors = new ArrayList<>();
        for (String prompt : prompts) {
            Collector c = new Collector();
            collectors.add(c);
            s.submit(tokenizer.encode(prompt), GREEDY_12, c);
            s.step(); // each joins while the others decode: steps mix prefill and decode tokens
        }
        for (int i = 0; i < 14; i++) {
            s.step();
        }
        s.close();

        for (int i = 0; i < prompts.size(); i++) {
            assertThat(collectors.get(i).done.join().tokenIds()).as(prompts.get(i))
                    .containsExactly(reference(prompts.get(i)));
        }
    }

    @Test
    void refusesWorkWhenTheQueueIsFull() {
        BatchScheduler s = scheduler(local, SchedulerProperties.builder().maxQueuedRequests(1).maxRunningSequences(4).maxPrefillTokens(64).build());
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
                .isInstanceOf(SchedulerStoppedException.class).hasMessageContaining("shutting down");
    }

    /** A sink that throws on its second token, as a gRPC stream whose client cancelled used to. */
    static final class ThrowingCollector extends Collector {
        @Override
        public void onToken(int tokenId, String text, TokenLogprobs logprobs) {
            super.onToken(tokenId, text, logprobs);
            if (tokens.size() == 2) {
                throw new IllegalStateException("CANCELLED: call already cancelled");
            }
        }
    }

    @Test
    void aSinkThatThrowsEndsOnlyItsOwnRequestAndTheLoopGoesOn() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        s.start();
        Collector broken = new ThrowingCollector();
        Collector ok = new Collector();
        s.submit(tokenizer.encode("The quick brown fox"), GREEDY_12, broken);
        s.submit(tokenizer.encode("Zürich"), GREEDY_12, ok);
        await().atMost(Duration.ofSeconds(10)).until(() -> broken.done.isDone() && ok.done.isDone());
        Collector after = new Collector();
        s.submit(tokenizer.encode("Hello"), GREEDY_12, after);

        assertThat(broken.done).isCompletedExceptionally();
        assertThat(broken.tokens).hasSize(2);
        assertThat(ok.done.join().tokenIds()).containsExactly(reference("Zürich"));
        assertThat(after.done.orTimeout(10, TimeUnit.SECONDS).join().tokenIds()).containsExactly(reference("Hello"));
        assertThat(s.stats().failedRequests()).isEqualTo(1);
        assertThat(s.health(Duration.ofSeconds(30)).serving()).isTrue();
        s.close();
    }

    @Test
    void aSinkThatCannotTakeItsCompletionIsCountedFailedNotAlsoCompleted() {
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        Collector broken = new Collector() {
            @Override
            public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
                throw new IllegalStateException("CANCELLED: call already cancelled");
            }
        };
        s.submit(new int[] {'a'}, GREEDY_12, broken);
        for (int i = 0; i < 12 && !broken.done.isDone(); i++) {
            s.step();
        }

        assertThat(broken.done).isCompletedExceptionally();
        assertThat(s.stats().failedRequests()).isEqualTo(1);
        assertThat(s.stats().completedRequests()).isZero();
        assertThat(s.load()).isZero();
    }

    @Test
    void aFailingForwardFailsOnlyTheRequestThatFailsAlone() {
        int poisonedPromptLength = 7; // the dispatch fails every step that carries 7 or more tokens
        ExpertDispatch poisoned = (layer, hidden, tokens, routes, out) -> {
            if (tokens >= poisonedPromptLength) {
                throw new IllegalStateException("expert backend cannot take " + tokens + " tokens");
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(poisoned, SchedulerProperties.defaults());
        Collector healthy = new Collector();
        Collector bad = new Collector();
        int[] shortPrompt = tokenizer.encode("Hello");
        assertThat(shortPrompt.length).isLessThan(poisonedPromptLength);
        s.submit(shortPrompt, GREEDY_12, healthy);
        s.step();
        s.submit(new int[] {1, 2, 3, 4, 5, 6, 7}, GREEDY_12, bad); // joins: this step carries 8 tokens
        for (int i = 0; i < 12; i++) {
            s.step();
        }

        assertThat(bad.done).isCompletedExceptionally();
        assertThat(healthy.done.join().tokenIds()).containsExactly(reference("Hello"));
    }

    @Test
    void maxTokensNearIntMaxIsCappedByTheContextInsteadOfOverflowing() {
        assertThat(BatchScheduler.capacity(10, Integer.MAX_VALUE, 512)).isEqualTo(512);
        assertThat(BatchScheduler.capacity(10, 20, 512)).isEqualTo(30);
        BatchScheduler s = scheduler(local, SchedulerProperties.defaults());
        Collector c = new Collector();
        s.submit(new int[] {'a'}, new SamplingParams(0f, 0, 1f, 0, Integer.MAX_VALUE, List.of(), true), c);
        int context = dense.config().maxPositionEmbeddings();
        for (int i = 0; i < context && !c.done.isDone(); i++) {
            s.step();
        }

        assertThat(c.done.join().tokenIds()).hasSize(context - 1);
    }

    @Test
    void aClientThatLeavesMidStepCostsAtMostThatStepsToken() {
        Collector leaving = new Collector();
        AtomicInteger forwards = new AtomicInteger();
        ExpertDispatch counting = (layer, hidden, tokens, routes, out) -> {
            if (layer == 0 && forwards.incrementAndGet() == 3) {
                leaving.cancelled.set(true); // the client cancels while step 3 is in flight
            }
            local.combine(layer, hidden, tokens, routes, out);
        };
        BatchScheduler s = scheduler(counting, SchedulerProperties.defaults());
        s.submit(new int[] {'a', 'b'}, GREEDY_12, leaving);
        for (int i = 0; i < 6; i++) {
            s.step();
        }

        assertThat(leaving.tokens).hasSize(3);
        assertThat(leaving.done).isNotDone();
        assertThat(s.stats().cancelledRequests()).isEqualTo(1);
        assertThat(s.stats().tokensAfterCancel()).isEqualTo(1);
        assertThat(s.stats().maxTokensAfterCancel()).isEqualTo(1);
        assertThat(s.stats().tokensOfCancelledRequests()).isEqualTo(3);
        assertThat(s.load()).isZero();
    }

}
