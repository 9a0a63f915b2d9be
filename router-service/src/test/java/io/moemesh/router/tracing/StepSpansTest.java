package io.moemesh.router.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a step that serves many requests appears in their traces, and what it costs when none is sampled. */
class StepSpansTest {

    private final InMemoryTracing tracing = new InMemoryTracing("router-service");
    private final StepSpans steps = new StepSpans(tracing.tracer());

    @AfterEach
    void close() {
        tracing.close();
    }

    @Test
    void stepIsAChildOfTheOldestSampledRequestAndLinksTheOtherSampledOnes() {
        RequestSpan oldest = sampledRequest("r-1");
        RequestSpan newest = sampledRequest("r-3");
        List<RequestSpan> batch = List.of(RequestSpan.UNSAMPLED, oldest, RequestSpan.UNSAMPLED, newest);

        StepSpans.Step step = steps.start(batch, Function.identity(), 7);
        assertThat(steps.current()).isNotNull();
        step.end();

        assertThat(steps.current()).isNull();
        SpanData span = tracing.span(StepSpans.NAME);
        assertThat(span.getParentSpanId()).isEqualTo(oldest.span().context().spanId());
        assertThat(span.getLinks()).hasSize(1);
        assertThat(span.getLinks().getFirst().getSpanContext().getSpanId()).isEqualTo(newest.span().context().spanId());
        assertThat(span.getAttributes().get(AttributeKey.longKey("moemesh.batch.requests"))).isEqualTo(4);
        assertThat(span.getAttributes().get(AttributeKey.longKey("moemesh.batch.sampled"))).isEqualTo(2);
        assertThat(span.getAttributes().get(AttributeKey.longKey("moemesh.batch.tokens"))).isEqualTo(7);
    }

    @Test
    void stepWithNoSampledRequestMakesNoSpan() {
        assertThat(steps.start(List.of(RequestSpan.UNSAMPLED, RequestSpan.UNSAMPLED), Function.identity(), 2)).isNull();
        assertThat(steps.current()).isNull();
        assertThat(tracing.spans()).isEmpty();
    }

    @Test
    void requestOutsideASampledSpanIsNotTraced() {
        assertThat(RequestSpan.start(tracing.tracer(), "r", 3)).isSameAs(RequestSpan.UNSAMPLED);
        try (InMemoryTracing unsampled = new InMemoryTracing("router-service", false)) {
            Span parent = unsampled.tracer().nextSpan().start();
            try (Tracer.SpanInScope ignored = unsampled.tracer().withSpan(parent)) {
                assertThat(RequestSpan.start(unsampled.tracer(), "r", 3)).isSameAs(RequestSpan.UNSAMPLED);
            }
        }
    }

    /**
     * Issue 17 made the layer step allocation-lean: with nothing sampled, tracing a step (looking for a
     * sampled request, then for the thread's step span per layer) must allocate nothing at all.
     */
    @Test
    void unsampledStepAllocatesNothing() {
        List<RequestSpan> batch = Collections.nCopies(64, RequestSpan.UNSAMPLED);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int traced = runUnsampledSteps(batch, 20_000); // warm up: JIT, the thread-local's entry
        long before = threads.getCurrentThreadAllocatedBytes();
        traced += runUnsampledSteps(batch, 100_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(traced).isZero();
        // the meter itself may allocate a little once; 100,000 steps of one byte each would be 100 kB
        assertThat(allocated).as("bytes allocated by 100,000 unsampled steps").isLessThan(1_000);
    }

    private int runUnsampledSteps(List<RequestSpan> batch, int count) {
        int traced = 0;
        for (int i = 0; i < count; i++) {
            if (steps.start(batch, Function.identity(), 64) != null) {
                traced++;
            }
            for (int layer = 0; layer < 4; layer++) {
                if (steps.current() != null) {
                    traced++;
                }
            }
        }
        return traced;
    }

    private RequestSpan sampledRequest(String id) {
        Span server = tracing.tracer().nextSpan().name("server").start();
        try (Tracer.SpanInScope ignored = tracing.tracer().withSpan(server)) {
            RequestSpan request = RequestSpan.start(tracing.tracer(), id, 5);
            assertThat(request.sampled()).isTrue();
            return request;
        } finally {
            server.end();
        }
    }
}
