package io.moemesh.router.dispatch;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.router.tracing.StepSpans;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Spans of the MoE layer steps ({@code moemesh.layer}) and of their Compute calls
 * ({@code moemesh.expert.compute}, client spans whose context the expert continues), under the span
 * of the step running on the thread. Outside a traced step {@link #layer} returns null and nothing
 * else is called: a layer step of an unsampled batch allocates nothing for tracing.
 */
public final class DispatchTracing {

    public static final String LAYER = "moemesh.layer";
    public static final String CALL = "moemesh.expert.compute";

    /** Never traces. */
    public static final DispatchTracing OFF = new DispatchTracing(StepSpans.OFF);

    private final StepSpans steps;

    public DispatchTracing(StepSpans steps) {
        this.steps = steps;
    }

    /** Starts a layer step's span under this thread's step; null when the step is not traced. */
    Layer layer(int layer, int tokens) {
        Span step = steps.current();
        if (step == null) {
            return null;
        }
        Tracer tracer = steps.tracer();
        Span span = tracer.spanBuilder().setParent(step.context()).name(LAYER)
                .tag("moemesh.layer", layer).tag("moemesh.tokens", tokens).start();
        return new Layer(tracer, span, layer);
    }

    /** One traced layer step: its span and the spans of its calls, by assignment. Used by the step's thread. */
    static final class Layer {
        private final Tracer tracer;
        private final Span span;
        private final int layer;
        private final Map<Assignment, Span> calls = new IdentityHashMap<>();
        private final TreeSet<String> endpoints = new TreeSet<>();
        private int attempt;
        private int callCount;

        private Layer(Tracer tracer, Span span, int layer) {
            this.tracer = tracer;
            this.span = span;
            this.layer = layer;
        }

        /** The calls that follow belong to this attempt (0: first, 1: the retry on other replicas). */
        void attempt(int attempt) {
            this.attempt = attempt;
        }

        /**
         * Starts the span of the call of {@code a} to {@code endpoint} and, with it current, the call
         * itself ({@code start}), which sends the span as the expert's parent.
         */
        <T> T call(Assignment a, String endpoint, long bytesSent, Supplier<T> start) {
            Span call = tracer.spanBuilder().setParent(span.context()).name(CALL).kind(Span.Kind.CLIENT)
                    .remoteServiceName("expert-service")
                    .tag("moemesh.endpoint", endpoint).tag("moemesh.units", units(layer, a.experts()))
                    .tag("moemesh.tokens", a.size()).tag("moemesh.bytes.sent", bytesSent)
                    .tag("moemesh.attempt", attempt).start();
            calls.put(a, call);
            endpoints.add(endpoint);
            callCount++;
            try (Tracer.SpanInScope ignored = tracer.withSpan(call)) {
                return start.get();
            }
        }

        void answered(Assignment a, long bytesReceived, long serverNanos) {
            end(a, "ok", null, bytesReceived, serverNanos);
        }

        void failed(Assignment a, Throwable error) {
            end(a, "failed", error, -1, -1);
        }

        /** The endpoint refused the call (bulkhead full, breaker open): it was never sent. */
        void refused(Assignment a) {
            end(a, "refused", null, -1, -1);
        }

        void failed(Throwable error) {
            span.error(error);
        }

        /** Ends the layer step's span, and the spans of calls left unanswered (cancelled). */
        void end() {
            for (Assignment a : List.copyOf(calls.keySet())) {
                end(a, "cancelled", null, -1, -1);
            }
            span.tag("moemesh.endpoints", String.join(",", endpoints)).tag("moemesh.calls", callCount).end();
        }

        private void end(Assignment a, String outcome, Throwable error, long bytesReceived, long serverNanos) {
            Span call = calls.remove(a);
            if (call == null) {
                return;
            }
            call.tag("moemesh.outcome", outcome);
            if (bytesReceived >= 0) {
                call.tag("moemesh.bytes.received", bytesReceived).tag("moemesh.server.nanos", serverNanos);
            }
            if (error != null) {
                call.error(error);
            }
            call.end();
        }

        /** "L:E,L:E" for the distinct experts the call computes, ascending. */
        static String units(int layer, List<int[]> experts) {
            TreeSet<Integer> distinct = new TreeSet<>();
            for (int[] e : experts) {
                for (int x : e) {
                    distinct.add(x);
                }
            }
            StringBuilder units = new StringBuilder();
            for (int e : distinct) {
                units.append(units.isEmpty() ? "" : ",").append(layer).append(':').append(e);
            }
            return units.toString();
        }
    }
}
