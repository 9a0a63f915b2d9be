package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP request's W3C trace context is continued by the gateway's server span for its Generate
 * call, as a gRPC caller's is ({@link GatewayTracingTest}); an invalid one is ignored.
 */
class OpenAiTracingTest {

    private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    private static final String PARENT_ID = "b7ad6b7169203331";
    private static final String GENERATE = "moemesh.v1.MoeMesh/Generate";
    private static final String COMPLETION = "{\"prompt\": \"a\", \"max_tokens\": 2}";

    private final InMemoryTracing tracing = new InMemoryTracing("gateway-service");
    private final HttpGateway gateway = new HttpGateway(new TestProperties().build(),
            GrpcTracing.of(tracing.tracer(), tracing.propagator()));

    @AfterEach
    void close() {
        gateway.close();
        tracing.close();
    }

    @Test
    void aValidTraceparentMakesTheGatewaysSpanItsChild() {
        HttpResponse<String> response = gateway.postWithHeaders("/v1/completions", COMPLETION, Map.of(
                "traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01", "tracestate", "congo=t61rcWkgMzE"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        SpanData generate = generateSpan();
        assertThat(generate.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(generate.getParentSpanId()).isEqualTo(PARENT_ID);
        assertThat(generate.getSpanContext().getTraceState().get("congo")).isEqualTo("t61rcWkgMzE");
        assertThat(tracing.spans()).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(TRACE_ID));
    }

    /** W3C: a tracestate over several header lines is one list, joined by commas. */
    @Test
    void aTracestateOnSeveralHeaderLinesKeepsEveryEntry() {
        HttpResponse<String> response = gateway.postWithHeaderLines("/v1/completions", COMPLETION, List.of(
                Map.entry("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01"),
                Map.entry("tracestate", "congo=t61rcWkgMzE"), Map.entry("tracestate", "rojo=00f067aa0ba902b7")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        SpanData generate = generateSpan();
        assertThat(generate.getSpanContext().getTraceState().get("congo")).isEqualTo("t61rcWkgMzE");
        assertThat(generate.getSpanContext().getTraceState().get("rojo")).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    void eachPromptsGenerationJoinsTheCallersTrace() {
        gateway.postWithHeaders("/v1/completions", "{\"prompt\": [\"a\", \"b\"], \"max_tokens\": 2}",
                Map.of("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01"));

        await().atMost(Duration.ofSeconds(10)).until(() -> generateSpans().size() == 2);
        assertThat(generateSpans()).allSatisfy(span -> {
            assertThat(span.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(span.getParentSpanId()).isEqualTo(PARENT_ID);
        });
    }

    @Test
    void anInvalidTraceparentIsIgnoredAndTheRequestStartsItsOwnTrace() {
        HttpResponse<String> response = gateway.postWithHeaders("/v1/completions", COMPLETION,
                Map.of("traceparent", "00-" + TRACE_ID + "-not-a-span-id-01"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        SpanData generate = generateSpan();
        assertThat(generate.getParentSpanContext().isValid()).isFalse();
        assertThat(generate.getTraceId()).isNotEqualTo(TRACE_ID);
    }

    @Test
    void withoutTraceparentTheRequestStartsItsOwnTrace() {
        gateway.post("/v1/completions", COMPLETION);

        assertThat(generateSpan().getParentSpanContext().isValid()).isFalse();
    }

    private SpanData generateSpan() {
        await().atMost(Duration.ofSeconds(10)).until(() -> !generateSpans().isEmpty());
        assertThat(generateSpans()).hasSize(1);
        return generateSpans().getFirst();
    }

    private List<SpanData> generateSpans() {
        return tracing.spans().stream().filter(span -> span.getName().equals(GENERATE)).toList();
    }
}
