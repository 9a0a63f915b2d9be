package io.moemesh.service.tracing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcClientInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcServerInterceptor;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import java.util.List;

/**
 * Traces across the mesh's gRPC hops (docs/observability.md#tracing): a server span per call a
 * server receives, continuing the caller's trace from the W3C {@code traceparent} header, and a
 * client span per call a channel makes, which sends that header. Public servers (the gateway's API)
 * start traces, sampled at {@code moemesh.tracing.sampling-probability}; internal servers only
 * continue a trace a caller sent ({@link #continuedServerSpans()}), so that internal traffic outside
 * any request (the controller's polls, the Compute calls of unsampled steps) never starts traces of
 * its own. Both spans are Micrometer observations, in a registry of their own that only traces:
 * the calls are not also timed, since on internal servers only traced calls are observed (the
 * services' own meters count every call). The standard health service is never traced: probes would
 * fill the traces with noise.
 *
 * <p>Channels whose calls the caller wraps in spans of its own (the router's Compute calls, with
 * their units and bytes) use {@link #currentSpanPropagation()} instead: it sends the current span
 * as the parent and makes no span of its own.
 */
public final class GrpcTracing {

    private static final GrpcTracing OFF = new GrpcTracing(ObservationRegistry.NOOP, Tracer.NOOP, Propagator.NOOP);

    private final ObservationRegistry observations;
    private final Tracer tracer;
    private final Propagator propagator;

    private GrpcTracing(ObservationRegistry observations, Tracer tracer, Propagator propagator) {
        this.observations = observations;
        this.tracer = tracer;
        this.propagator = propagator;
    }

    /** Spans from {@code tracer}, their context sent and received by {@code propagator} (W3C, B3). */
    public static GrpcTracing of(Tracer tracer, Propagator propagator) {
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(
                new ObservationHandler.FirstMatchingCompositeObservationHandler(
                        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                        new DefaultTracingObservationHandler(tracer)));
        return new GrpcTracing(observations, tracer, propagator);
    }

    /** No spans, no headers: tests and tools that run without a tracer. */
    public static GrpcTracing off() {
        return OFF;
    }

    public Tracer tracer() {
        return tracer;
    }

    /**
     * A server span per call (health checks excepted), in the caller's trace or a new one; the
     * outermost interceptor of a public server.
     */
    public ServerInterceptor serverSpans() {
        return serverSpans(false);
    }

    /**
     * A server span per call that carries a trace context ({@code traceparent}, or B3), in that
     * trace; calls without one are not traced. The outermost interceptor of an internal server.
     */
    public ServerInterceptor continuedServerSpans() {
        return serverSpans(true);
    }

    private ServerInterceptor serverSpans(boolean continueOnly) {
        if (observations.isNoop()) {
            return PassThrough.SERVER;
        }
        ObservationGrpcServerInterceptor observed = new ObservationGrpcServerInterceptor(observations);
        List<Metadata.Key<String>> contextHeaders = propagator.fields().stream()
                .map(field -> Metadata.Key.of(field, Metadata.ASCII_STRING_MARSHALLER)).toList();
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
                        || continueOnly && contextHeaders.stream().noneMatch(headers::containsKey)) {
                    return next.startCall(call, headers);
                }
                return observed.interceptCall(call, headers, next);
            }
        };
    }

    /** A client span per call, child of the observation current when the call starts. */
    public ClientInterceptor clientSpans() {
        return observations.isNoop() ? PassThrough.CLIENT : new ObservationGrpcClientInterceptor(observations);
    }

    /**
     * Sends the span current when a call starts as the callee's parent ({@code traceparent}), and
     * nothing when no span is current; makes no span itself.
     */
    public ClientInterceptor currentSpanPropagation() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                    Channel next) {
                Span current = tracer.currentSpan();
                if (current == null || current.isNoop()) {
                    return next.newCall(method, options);
                }
                TraceContext parent = current.context();
                return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        propagator.inject(parent, headers, (carrier, key, value) ->
                                carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value));
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    private static final class PassThrough {
        static final ServerInterceptor SERVER = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                return next.startCall(call, headers);
            }
        };
        static final ClientInterceptor CLIENT = new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                    Channel next) {
                return next.newCall(method, options);
            }
        };
    }
}
