package io.moemesh.testing;

import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A service's tracer as Spring Boot wires it (Micrometer Tracing over the OpenTelemetry SDK, W3C
 * propagation), exporting every ended span to memory, for tests that assert a trace's span tree.
 */
public final class InMemoryTracing implements AutoCloseable {

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider;
    private final OtelTracer tracer;
    private final Propagator propagator;

    /** Samples what its parent sampled, and every new trace when {@code sampleNewTraces}. */
    public InMemoryTracing(String serviceName, boolean sampleNewTraces) {
        provider = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName)))
                .setSampler(Sampler.parentBased(sampleNewTraces ? Sampler.alwaysOn() : Sampler.alwaysOff()))
                .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build();
        io.opentelemetry.api.trace.Tracer otel = provider.get("io.moemesh.test");
        tracer = new OtelTracer(otel, new OtelCurrentTraceContext(), event -> { });
        propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    }

    /** Samples every trace. */
    public InMemoryTracing(String serviceName) {
        this(serviceName, true);
    }

    public Tracer tracer() {
        return tracer;
    }

    public Propagator propagator() {
        return propagator;
    }

    /** Spans ended so far, in the order they ended. */
    public List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    /** The ended spans of one trace. */
    public List<SpanData> spans(String traceId) {
        return spans().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
    }

    /** The ended span named {@code name}; fails unless exactly one has that name. */
    public SpanData span(String name) {
        List<SpanData> named = spans().stream().filter(s -> s.getName().equals(name)).toList();
        if (named.size() != 1) {
            throw new AssertionError("expected one span named '" + name + "', found " + named.size() + " among "
                    + spans().stream().map(SpanData::getName).toList());
        }
        return named.getFirst();
    }

    /**
     * The spans of one trace as an indented tree, children by start time: {@code name (KIND)
     * key=value ...}, parents that were not exported here (another process's) shown as roots.
     */
    public String tree(String traceId) {
        List<SpanData> trace = spans(traceId);
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, s -> s));
        StringBuilder out = new StringBuilder();
        trace.stream().filter(s -> !byId.containsKey(s.getParentSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(root -> render(root, trace, 0, out));
        return out.toString();
    }

    private static void render(SpanData span, List<SpanData> trace, int depth, StringBuilder out) {
        out.append("  ".repeat(depth)).append(span.getName()).append(" (").append(span.getKind()).append(')');
        TreeMap<String, Object> attributes = new TreeMap<>();
        span.getAttributes().forEach((key, value) -> attributes.put(key.getKey(), value));
        attributes.forEach((key, value) -> out.append(' ').append(key).append('=').append(value));
        if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
            out.append(" status=ERROR");
        }
        if (!span.getLinks().isEmpty()) {
            out.append(" links=").append(span.getLinks().size());
        }
        out.append('\n');
        trace.stream().filter(s -> s.getParentSpanId().equals(span.getSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(child -> render(child, trace, depth + 1, out));
    }

    @Override
    public void close() {
        provider.close();
    }
}
