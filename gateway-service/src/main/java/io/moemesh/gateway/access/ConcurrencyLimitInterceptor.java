package io.moemesh.gateway.access;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Holds one of the caller's concurrent-call permits for as long as a call runs, refusing it with
 * RESOURCE_EXHAUSTED when none is free. A server call ends either by {@code close} (completion or
 * error) or by {@code onCancel} (the client cancelled, its deadline passed, its connection broke);
 * the permit goes back on whichever comes first, once. The refusal carries no {@code RetryInfo}:
 * when a permit comes back is up to the caller's own streams ({@link CallerLimiters} says why).
 */
public final class ConcurrencyLimitInterceptor implements ServerInterceptor {

    private final CallerLimiters limits;

    public ConcurrencyLimitInterceptor(CallerLimiters limits) {
        this.limits = limits;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        Runnable release;
        try {
            release = limits.acquireConcurrent(Caller.CURRENT.get());
        } catch (LimitExceededException e) {
            StatusRuntimeException refusal = e.toStatusException();
            call.close(refusal.getStatus(), refusal.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        ServerCall<Q, R> releasing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                release.run();
                super.close(status, trailers);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(releasing, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                release.run();
                super.onCancel();
            }

            @Override
            public void onComplete() {
                release.run();
                super.onComplete();
            }
        };
    }
}
