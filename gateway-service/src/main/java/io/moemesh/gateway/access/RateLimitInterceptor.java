package io.moemesh.gateway.access;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Refuses a call with RESOURCE_EXHAUSTED when its caller has spent its rate; runs after {@link ApiKeyInterceptor}. */
public final class RateLimitInterceptor implements ServerInterceptor {

    private final CallerRateLimits limits;

    public RateLimitInterceptor(CallerRateLimits limits) {
        this.limits = limits;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!limits.tryAcquire(Caller.CURRENT.get())) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("rate limit exceeded for this API key: at most "
                    + limits.describe() + "; retry after backing off"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }
}
