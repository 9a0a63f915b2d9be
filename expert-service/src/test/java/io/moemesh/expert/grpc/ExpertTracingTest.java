package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.moemesh.expert.TinyModel;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.batching.WorkSpans;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.compute.DescribeUseCase;
import io.moemesh.expert.compute.RePlacementUseCase;
import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The expert's part of a request's trace: a Compute call that carries the router's context is a
 * server span in that trace, with a span for each unit's wait in its queue and one for the batch
 * that computed it; a call without a context is not traced at all.
 */
class ExpertTracingTest {

    private static final TestRoute BOTH = TestRoute.of(3, 0.6f, 5, 0.4f);
    private static final TestRoute THREE = TestRoute.of(3, 1f);

    private final InMemoryTracing tracing = new InMemoryTracing("expert-service");
    private final GrpcTracing grpc = GrpcTracing.of(tracing.tracer(), tracing.propagator());
    private HostedUnits units;
    private MicroBatcher batcher;
    private GrpcServerLifecycle server;
    private ManagedChannel channel;

    @BeforeEach
    void start() {
        ExpertSetup setup = ExpertSetup.defaults();
        units = HostedUnits.load(TinyModel.dir(), setup.placement());
        batcher = new MicroBatcher(units.weights(), setup.runner(), setup.policy(), Ticker.system(),
                new SimpleMeterRegistry(), new WorkSpans(tracing.tracer()));
        DescribeUseCase describe = new DescribeUseCase(units, "cpu-scalar", setup.endpointId());
        ExpertGrpcService service = new ExpertGrpcService(new ComputeUseCase(units, batcher), describe,
                new RePlacementUseCase(units, batcher, describe, setup.partnerWarmupRunner(), Duration.ofMillis(10)),
                task -> Thread.ofVirtual().start(task), Ticker.system());
        String name = InProcessServerBuilder.generateName();
        // as GrpcServerFactory.internalServer adds it: outermost, continuing the caller's trace only
        server = new GrpcServerLifecycle("expert", InProcessServerBuilder.forName(name)
                .intercept(grpc.continuedServerSpans()), List.of(service.bindService()), new HealthStatusManager(),
                Duration.ofSeconds(1), new GrpcServerLifecycle.Hooks() { });
        server.start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.stop();
        batcher.close();
        units.close();
        tracing.close();
    }

    @Test
    void computeCallIsAServerSpanOfTheCallersTraceWithQueueAndBatchSpansPerUnit() {
        Span router = tracing.tracer().nextSpan().name("moemesh.expert.compute (router's call)").start();
        compute(headersOf(router));
        router.end();

        String traceId = router.context().traceId();
        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans(traceId).size() >= 6);
        SpanData server = tracing.span("moemesh.internal.v1.Expert/Compute");
        assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(server.getTraceId()).isEqualTo(traceId);
        assertThat(server.getParentSpanId()).isEqualTo(router.context().spanId());
        List<SpanData> queued = children(server, WorkSpans.QUEUE);
        List<SpanData> batches = children(server, WorkSpans.BATCH);
        assertThat(queued).extracting(s -> attr(s, "moemesh.unit")).containsExactlyInAnyOrder("0:3", "0:5");
        assertThat(queued).filteredOn(s -> attr(s, "moemesh.unit").equals("0:3"))
                .extracting(s -> s.getAttributes().get(AttributeKey.longKey("moemesh.tokens"))).containsExactly(2L);
        assertThat(batches).extracting(s -> attr(s, "moemesh.unit")).containsExactlyInAnyOrder("0:3", "0:5");
        assertThat(batches).allSatisfy(batch -> {
            assertThat(batch.getAttributes().get(AttributeKey.longKey("moemesh.batch.tokens"))).isPositive();
            assertThat(batch.getAttributes().get(AttributeKey.longKey("moemesh.batch.requests"))).isEqualTo(1L);
            SpanData wait = queued.stream().filter(q -> attr(q, "moemesh.unit").equals(attr(batch, "moemesh.unit")))
                    .findFirst().orElseThrow();
            assertThat(batch.getStartEpochNanos()).isGreaterThanOrEqualTo(wait.getEndEpochNanos());
        });
        System.out.println("expert span tree:\n" + tracing.tree(traceId));
    }

    @Test
    void computeCallWithoutATraceContextIsNotTraced() {
        compute(new Metadata());
        Span router = tracing.tracer().nextSpan().name("traced call").start();
        compute(headersOf(router));
        router.end();

        String traceId = router.context().traceId();
        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans(traceId).size() >= 6);
        assertThat(tracing.spans()).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
        assertThat(tracing.spans()).filteredOn(s -> s.getKind() == SpanKind.SERVER).hasSize(1);
    }

    private void compute(Metadata headers) {
        ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(Duration.ofSeconds(10))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .compute(request(0, gaussianRows(2, 7), DType.DTYPE_F32, BOTH, THREE));
    }

    private Metadata headersOf(Span span) {
        Metadata headers = new Metadata();
        tracing.propagator().inject(span.context(), headers,
                (carrier, key, value) -> carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value));
        return headers;
    }

    private List<SpanData> children(SpanData parent, String name) {
        return tracing.spans(parent.getTraceId()).stream()
                .filter(s -> s.getParentSpanId().equals(parent.getSpanId()) && s.getName().equals(name)).toList();
    }

    private static String attr(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }
}
