package io.moemesh.gateway.metrics;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts and times every call, the ones refused by authentication and rate limiting included, so it
 * sits outermost. A call ends either by {@code close} (its status) or by being cancelled: by the
 * caller (CANCELLED) or by its deadline passing (DEADLINE_EXCEEDED).
 */
public final class MetricsInterceptor implements ServerInterceptor {

    private final GatewayMetrics metrics;

    public MetricsInterceptor(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        long start = metrics.started(method);
        Deadline deadline = Context.current().getDeadline();
        AtomicBoolean recorded = new AtomicBoolean();
        ServerCall<Q, R> measured = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (recorded.compareAndSet(false, true)) {
                    metrics.finished(method, status.getCode(), start);
                }
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(measured, headers)) {
            @Override
            public void onCancel() {
                if (recorded.compareAndSet(false, true)) {
                    boolean expired = deadline != null && deadline.isExpired();
                    metrics.finished(method, expired ? Status.Code.DEADLINE_EXCEEDED : Status.Code.CANCELLED, start);
                }
                super.onCancel();
            }
        };
    }
}
