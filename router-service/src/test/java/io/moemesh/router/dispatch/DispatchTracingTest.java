package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.router.tracing.RequestSpan;
import io.moemesh.router.tracing.StepSpans;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The spans of one layer step's calls: what each outcome and the retry look like. */
class DispatchTracingTest {

    private final InMemoryTracing tracing = new InMemoryTracing("router-service");
    private final StepSpans steps = new StepSpans(tracing.tracer());
    private final DispatchTracing dispatch = new DispatchTracing(steps);

    @AfterEach
    void close() {
        tracing.close();
    }

    @Test
    void eachCallSaysHowItEndedAndWhichAttemptItWas() {
        StepSpans.Step step = steps.start(List.of(sampledRequest()), Function.identity(), 3);
        DispatchTracing.Layer layer = dispatch.layer(1, 3);
        Assignment failed = assignment(0, new int[] {5, 1}, new int[] {5});
        Assignment refused = assignment(1, new int[] {2});
        Assignment retried = assignment(2, new int[] {1, 5});
        Assignment unanswered = assignment(3, new int[] {7});

        layer.attempt(0);
        assertThat(layer.call(failed, "e0", 512, () -> "sent")).isEqualTo("sent");
        layer.call(refused, "e1", 256, () -> null);
        layer.failed(failed, new IllegalStateException("UNAVAILABLE: endpoint down"));
        layer.refused(refused);
        layer.attempt(1);
        layer.call(retried, "e2", 256, () -> "sent");
        layer.answered(retried, 256, 9_000);
        layer.call(unanswered, "e3", 256, () -> "sent");
        layer.end();
        step.end();

        assertThat(call("e0")).satisfies(span -> {
            assertThat(attr(span, "moemesh.outcome")).isEqualTo("failed");
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(attr(span, "moemesh.units")).isEqualTo("1:1,1:5");
            assertThat(number(span, "moemesh.tokens")).isEqualTo(2);
            assertThat(number(span, "moemesh.attempt")).isZero();
        });
        assertThat(attr(call("e1"), "moemesh.outcome")).isEqualTo("refused");
        assertThat(call("e2")).satisfies(span -> {
            assertThat(attr(span, "moemesh.outcome")).isEqualTo("ok");
            assertThat(number(span, "moemesh.attempt")).isEqualTo(1);
            assertThat(number(span, "moemesh.bytes.received")).isEqualTo(256);
            assertThat(number(span, "moemesh.server.nanos")).isEqualTo(9_000);
        });
        assertThat(attr(call("e3"), "moemesh.outcome")).isEqualTo("cancelled");
        SpanData layerSpan = tracing.span(DispatchTracing.LAYER);
        assertThat(attr(layerSpan, "moemesh.endpoints")).isEqualTo("e0,e1,e2,e3");
        assertThat(number(layerSpan, "moemesh.calls")).isEqualTo(4);
        assertThat(layerSpan.getParentSpanId()).isEqualTo(tracing.span(StepSpans.NAME).getSpanId());
    }

    @Test
    void layerStepOutsideATracedStepIsNotTraced() {
        assertThat(dispatch.layer(0, 8)).isNull();
        assertThat(steps.start(List.of(RequestSpan.UNSAMPLED), Function.identity(), 8)).isNull();
        assertThat(dispatch.layer(0, 8)).isNull();
        assertThat(tracing.spans()).isEmpty();
    }

    private RequestSpan sampledRequest() {
        Span server = tracing.tracer().nextSpan().name("server").start();
        try (Tracer.SpanInScope ignored = tracing.tracer().withSpan(server)) {
            return RequestSpan.start(tracing.tracer(), "r-1", 3);
        } finally {
            server.end();
        }
    }

    private static Assignment assignment(int endpoint, int[]... experts) {
        Assignment a = new Assignment(endpoint);
        for (int t = 0; t < experts.length; t++) {
            a.add(t, experts[t], new float[experts[t].length], false);
        }
        return a;
    }

    private SpanData call(String endpoint) {
        return tracing.spans().stream().filter(s -> s.getName().equals(DispatchTracing.CALL)
                && endpoint.equals(attr(s, "moemesh.endpoint"))).findFirst().orElseThrow();
    }

    private static String attr(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    private static long number(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.longKey(key));
    }
}
