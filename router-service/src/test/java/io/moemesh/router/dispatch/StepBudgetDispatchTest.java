package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.GenerationSink;
import io.moemesh.router.batching.ReroutedExpert;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.batching.SchedulerStats;
import io.moemesh.router.tracing.RequestSpan;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.router.tracing.StepTraceBudget;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A sampled request's steps under the traced-steps budget, through the batch scheduler and remote
 * expert endpoints on the default stream transport: a traced step's Compute calls are unary (they carry
 * the trace context in their headers) and make spans; the steps the budget leaves untraced make none,
 * send their calls on the per-endpoint stream, and are counted on the request's span.
 */
class StepBudgetDispatchTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final int MAX_TOKENS = 4;
    private static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0, MAX_TOKENS, List.of(), true);

    private final InMemoryTracing tracing = new InMemoryTracing("router-service");
    private final ModelConfig config = ModelConfig.load(MODEL);
    private final ExpertCluster cluster = new ExpertCluster(MODEL, List.of(Set.of(0, 2, 4, 6), Set.of(1, 3, 5, 7)));
    private final Checkpoint checkpoint = Checkpoint.open(MODEL);
    private final TextTokenizer tokenizer = TextTokenizer.load(MODEL);
    private RemoteExperts remote;

    @AfterEach
    void close() {
        if (remote != null) {
            remote.close();
        }
        cluster.close();
        tokenizer.close();
        checkpoint.close();
        tracing.close();
    }

    @Test
    void stepsOverTheBudgetMakeNoSpansAndSendTheirCallsOnTheStream() {
        SpanData request = generate(StepTraceBudget.perSecond(1, () -> 0)); // the clock stands still: one step

        assertThat(stepSpans()).hasSize(1);
        assertThat(attrLong(request, "moemesh.steps.traced")).isEqualTo(1);
        assertThat(attrLong(request, "moemesh.steps.untraced")).isEqualTo(MAX_TOKENS - 1);
        long callSpans = spans(DispatchTracing.CALL).size();
        assertThat(unaryCalls()).as("the traced step's calls, one span each").isPositive().isEqualTo(callSpans);
        assertThat(streamedCalls()).as("the untraced steps' calls").isPositive()
                .isEqualTo(remote.traffic().calls() - callSpans);
    }

    @Test
    void aZeroBudgetTracesTheRequestButNoneOfItsSteps() {
        SpanData request = generate(StepTraceBudget.perSecond(0, () -> 0));

        assertThat(attr(request, "moemesh.finish.reason")).isEqualTo("length");
        assertThat(attrLong(request, "moemesh.generated.tokens")).isEqualTo(MAX_TOKENS);
        assertThat(attrLong(request, "moemesh.steps.traced")).isZero();
        assertThat(attrLong(request, "moemesh.steps.untraced")).isEqualTo(MAX_TOKENS);
        assertThat(stepSpans()).isEmpty();
        assertThat(spans(DispatchTracing.LAYER)).isEmpty();
        assertThat(unaryCalls()).isZero();
        assertThat(streamedCalls()).isPositive().isEqualTo(remote.traffic().calls());
    }

    @Test
    void noLimitTracesEveryStepWithUnaryCalls() {
        SpanData request = generate(StepTraceBudget.unlimited());

        assertThat(stepSpans()).hasSize(MAX_TOKENS);
        assertThat(attrLong(request, "moemesh.steps.traced")).isEqualTo(MAX_TOKENS);
        assertThat(attrLong(request, "moemesh.steps.untraced")).isZero();
        assertThat(streamedCalls()).isZero();
        assertThat(unaryCalls()).isEqualTo(remote.traffic().calls());
    }

    /** Runs one sampled request of {@link #MAX_TOKENS} tokens under {@code budget}; returns its ended span. */
    private SpanData generate(StepTraceBudget budget) {
        StepSpans steps = new StepSpans(tracing.tracer(), budget);
        GrpcTracing grpc = GrpcTracing.of(tracing.tracer(), tracing.propagator());
        remote = RemoteExperts.connect(cluster.endpoints, e -> InProcessChannelBuilder.forName(e.target())
                        .directExecutor().intercept(grpc.currentSpanPropagation()).build(),
                config.numMoeLayers(), config.numExperts(), config.hiddenSize(), DispatchProperties.defaults(),
                new DispatchTracing(steps));
        DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        BatchScheduler scheduler = new BatchScheduler(dense, remote, tokenizer, SchedulerProperties.defaults(),
                RoutingObserver.NONE, new SchedulerStats(), System::nanoTime, steps);
        SpanSink sink = new SpanSink(sampledRequest());
        scheduler.start();
        try {
            scheduler.submit(tokenizer.encode("The quick brown fox"), GREEDY, sink);
            sink.done.orTimeout(30, TimeUnit.SECONDS).join();
        } finally {
            scheduler.close();
        }
        return spans(RequestSpan.NAME).getFirst();
    }

    /** A request's span as the router starts it: under the server span of a sampled call. */
    private RequestSpan sampledRequest() {
        Span server = tracing.tracer().nextSpan().name("server").start();
        try (Tracer.SpanInScope ignored = tracing.tracer().withSpan(server)) {
            RequestSpan request = RequestSpan.start(tracing.tracer(), "req", 4);
            assertThat(request.sampled()).isTrue();
            return request;
        } finally {
            server.end();
        }
    }

    /** Ends the request's span as the router's traced sink does, and completes when the request ends. */
    private static final class SpanSink implements GenerationSink {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final RequestSpan span;

        SpanSink(RequestSpan span) {
            this.span = span;
        }

        @Override
        public void onToken(int tokenId, String text, TokenLogprobs logprobs) {
            span.generated();
        }

        @Override
        public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
            span.completed(generation.finishReason().name().toLowerCase(Locale.ROOT), 0);
            done.complete(null);
        }

        @Override
        public void onError(Throwable error) {
            span.failed(error);
            done.completeExceptionally(error);
        }

        @Override
        public RequestSpan span() {
            return span;
        }
    }

    private List<SpanData> stepSpans() {
        return spans(StepSpans.NAME);
    }

    private List<SpanData> spans(String name) {
        return tracing.spans().stream().filter(s -> s.getName().equals(name)).toList();
    }

    private int unaryCalls() {
        return cluster.totalComputeCalls() - streamedCalls();
    }

    private int streamedCalls() {
        return cluster.services.stream().mapToInt(s -> s.streamedCalls.get()).sum();
    }

    private static String attr(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    private static long attrLong(SpanData span, String key) {
        Long value = span.getAttributes().get(AttributeKey.longKey(key));
        assertThat(value).as("%s of %s", key, span.getName()).isNotNull();
        return value;
    }
}
