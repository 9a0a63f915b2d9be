package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.tracing.Span;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import io.moemesh.router.AdmissionProperties;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.batching.SchedulerStats;
import io.moemesh.router.grpc.CallerInterceptor;
import io.moemesh.router.grpc.RouterGrpcService;
import io.moemesh.router.grpc.ServedModel;
import io.moemesh.router.tracing.RequestSpan;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router's part of a request's trace, over the tiny-random model: the caller's context (as the
 * gateway sends it) → the router's server span → the request → its forward steps → their MoE layer
 * steps → one client span per Compute call → the expert endpoint's server span, all one trace.
 * The experts here are in-process fakes behind the same server-span interceptor the expert service
 * uses; expert-service's own tracing test covers what happens inside an expert.
 */
class RouterTracingTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final DispatchProperties DISPATCH =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(10)).breakerWindow(8).breakerOpenFor(Duration.ofSeconds(1)).maxConcurrentCalls(8).build();
    private static final int MAX_TOKENS = 3;

    private final InMemoryTracing tracing = new InMemoryTracing("router-service");
    private final GrpcTracing grpc = GrpcTracing.of(tracing.tracer(), tracing.propagator());
    private final List<Server> experts = new ArrayList<>();
    private ModelConfig config;
    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private RemoteExperts remote;
    private BatchScheduler scheduler;
    private Server router;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        config = ModelConfig.load(MODEL);
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        // two endpoints: even experts on one, odd on the other, so that most layer steps call both
        List<ExpertEndpoint> endpoints = List.of(expertEndpoint("endpoint-even", 0), expertEndpoint("endpoint-odd", 1));
        StepSpans steps = new StepSpans(tracing.tracer());
        remote = RemoteExperts.connect(endpoints, e -> InProcessChannelBuilder.forName(e.target()).directExecutor()
                        .intercept(grpc.currentSpanPropagation()).build(),
                config.numLayers(), config.numExperts(), config.hiddenSize(), DISPATCH, new DispatchTracing(steps));
        DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        scheduler = new BatchScheduler(dense, remote, tokenizer, SchedulerProperties.defaults(), RoutingObserver.NONE,
                new SchedulerStats(), System::nanoTime, steps);
        scheduler.start();
        String name = InProcessServerBuilder.generateName();
        router = InProcessServerBuilder.forName(name).intercept(grpc.continuedServerSpans())
                .addService(ServerInterceptors.intercept(new RouterGrpcService(new ServedModel("tiny-random", config, 2,
                        TokenizerConfig.load(MODEL)), tokenizer, scheduler, config.maxPositionEmbeddings(),
                        AdmissionProperties.defaults().requestLimits(), tracing.tracer()),
                        CallerInterceptor.trustingEveryCaller())).build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    private ExpertEndpoint expertEndpoint(String id, int parity) throws IOException {
        Map<Long, ExpertWeights> units = new HashMap<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int e = parity; e < config.numExperts(); e += 2) {
                units.put(FakeExpertService.key(layer, e), ExpertWeights.load(checkpoint, config, layer, e));
            }
        }
        String name = id + "-" + InProcessServerBuilder.generateName();
        experts.add(InProcessServerBuilder.forName(name).directExecutor().intercept(grpc.continuedServerSpans())
                .addService(new FakeExpertService(units, config.hiddenSize())).build().start());
        return new ExpertEndpoint(id, name);
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        router.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.close();
        remote.close();
        experts.forEach(Server::shutdownNow);
        tokenizer.close();
        checkpoint.close();
        tracing.close();
    }

    @Test
    void oneRequestIsOneTraceFromItsCallerThroughEveryLayerStepToEveryExpertCall() {
        String traceId = generateInTrace("req-traced");

        SpanData caller = tracing.span("gateway (test caller)");
        SpanData server = one(traceId, s -> s.getKind() == SpanKind.SERVER && s.getName().endsWith("/Generate"));
        assertThat(server.getParentSpanId()).isEqualTo(caller.getSpanId());
        SpanData request = tracing.span(RequestSpan.NAME);
        assertThat(request.getTraceId()).isEqualTo(traceId);
        assertThat(request.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(attr(request, "moemesh.request.id")).isEqualTo("req-traced");
        assertThat(attrLong(request, "moemesh.prompt.tokens")).isPositive();
        assertThat(attrLong(request, "moemesh.generated.tokens")).isEqualTo(MAX_TOKENS);
        assertThat(attr(request, "moemesh.finish.reason")).isEqualTo("length");
        assertThat(request.getAttributes().get(AttributeKey.booleanKey("moemesh.degraded"))).isFalse();
        assertThat(attrLong(request, "moemesh.steps.traced")).isEqualTo(MAX_TOKENS);
        assertThat(attrLong(request, "moemesh.steps.untraced")).isZero();

        List<SpanData> steps = children(request, StepSpans.NAME);
        assertThat(steps).as("one forward step per generated token").hasSize(MAX_TOKENS);
        assertThat(steps).allSatisfy(step -> assertThat(attrLong(step, "moemesh.batch.requests")).isEqualTo(1));
        for (SpanData step : steps) {
            List<SpanData> layers = children(step, DispatchTracing.LAYER);
            assertThat(layers).extracting(l -> attrLong(l, "moemesh.layer"))
                    .containsExactlyInAnyOrder(0L, 1L);
            for (SpanData layer : layers) {
                List<SpanData> calls = children(layer, DispatchTracing.CALL);
                assertThat(calls).isNotEmpty().allSatisfy(call -> {
                    assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
                    assertThat(attr(call, "moemesh.endpoint")).isIn("endpoint-even", "endpoint-odd");
                    assertThat(attr(call, "moemesh.units")).matches(attrLong(layer, "moemesh.layer") + ":\\d+(,"
                            + attrLong(layer, "moemesh.layer") + ":\\d+)*");
                    assertThat(attrLong(call, "moemesh.tokens")).isPositive();
                    assertThat(attrLong(call, "moemesh.bytes.sent"))
                            .isEqualTo(attrLong(call, "moemesh.tokens") * config.hiddenSize() * Float.BYTES);
                    assertThat(attrLong(call, "moemesh.bytes.received"))
                            .isEqualTo(attrLong(call, "moemesh.bytes.sent"));
                    assertThat(attr(call, "moemesh.outcome")).isEqualTo("ok");
                    SpanData expert = one(traceId, s -> s.getParentSpanId().equals(call.getSpanId()));
                    assertThat(expert.getKind()).isEqualTo(SpanKind.SERVER);
                    assertThat(expert.getName()).isEqualTo("moemesh.internal.v1.Expert/Compute");
                });
                assertThat(attr(layer, "moemesh.endpoints")).isEqualTo(calls.stream()
                        .map(c -> attr(c, "moemesh.endpoint")).sorted().distinct().collect(Collectors.joining(",")));
            }
        }
        assertThat(tracing.spans()).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
        System.out.println("router span tree:\n" + tracing.tree(traceId));
    }

    @Test
    void requestOutsideASampledTraceMakesNoSpansAndSendsNoContextToTheExperts() {
        generate("req-untraced", new Metadata());
        String traced = generateInTrace("req-traced");

        assertThat(tracing.spans()).isNotEmpty()
                .allSatisfy(s -> assertThat(s.getTraceId()).as(s.getName()).isEqualTo(traced));
        assertThat(tracing.spans()).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("moemesh.request.id")))
                .containsOnlyOnce("req-traced").doesNotContain("req-untraced");
    }

    /** Generates under a sampled caller span, as the gateway would send it; returns the trace id. */
    private String generateInTrace(String requestId) {
        Span caller = tracing.tracer().nextSpan().name("gateway (test caller)").start();
        Metadata headers = new Metadata();
        tracing.propagator().inject(caller.context(), headers,
                (carrier, key, value) -> carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value));
        generate(requestId, headers);
        caller.end();
        String traceId = caller.context().traceId();
        // the router ends its spans as the call completes, on its own threads
        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans(traceId).stream().anyMatch(
                s -> s.getName().equals(RequestSpan.NAME)) && tracing.spans(traceId).stream().anyMatch(
                s -> s.getKind() == SpanKind.SERVER && s.getName().endsWith("/Generate")));
        return traceId;
    }

    private void generate(String requestId, Metadata headers) {
        MoeMeshGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .generate(GenerateRequest.newBuilder().setPrompt("The quick brown fox").setRequestId(requestId)
                        .setSampling(SamplingParams.newBuilder().setMaxTokens(MAX_TOKENS).setIgnoreEos(true)).build())
                .forEachRemaining(response -> { });
    }

    private List<SpanData> children(SpanData parent, String name) {
        return tracing.spans(parent.getTraceId()).stream()
                .filter(s -> s.getParentSpanId().equals(parent.getSpanId()) && s.getName().equals(name)).toList();
    }

    private SpanData one(String traceId, java.util.function.Predicate<SpanData> which) {
        List<SpanData> found = tracing.spans(traceId).stream().filter(which).toList();
        assertThat(found).hasSize(1);
        return found.getFirst();
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
