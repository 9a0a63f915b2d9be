package io.moemesh.gateway.access;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

/**
 * Refuses a call with RESOURCE_EXHAUSTED when its caller has spent its rate; runs after
 * {@link ApiKeyAuthenticator}.
 */
public final class RateLimitInterceptor implements ServerInterceptor {

    private final CallerLimiters limits;

    public RateLimitInterceptor(CallerLimiters limits) {
        this.limits = limits;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        try {
            limits.acquireRequest(Caller.CURRENT.get());
        } catch (LimitExceededException e) {
            StatusRuntimeException refusal = e.toStatusException();
            call.close(refusal.getStatus(), refusal.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }
}
