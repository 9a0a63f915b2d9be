package io.moemesh.service.transport;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;

/**
 * Requires {@code authorization: Bearer <internal token>} on every call but the standard health
 * service (probes carry no credentials). A missing or wrong token ends the call with
 * UNAUTHENTICATED before any handler runs; the token is never echoed.
 */
public final class InternalTokenInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    static final String BEARER = "Bearer ";

    private final InternalToken token;

    public InternalTokenInterceptor(InternalToken token) {
        this.token = token;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String authorization = headers.get(AUTHORIZATION);
        if (authorization == null || !authorization.startsWith(BEARER)) {
            return refuse(call, "internal call without a token: send 'authorization: Bearer <token>' with the token of"
                    + " moemesh.auth.internal-token-file");
        }
        if (!token.matches(authorization.substring(BEARER.length()))) {
            return refuse(call, "internal token not accepted: the caller must send one of the tokens of the"
                    + " server's moemesh.auth.internal-token-file");
        }
        if (InternalCaller.AUTHENTICATED_AS.get() != null) {
            return next.startCall(call, headers); // a client certificate said more about the caller
        }
        return Contexts.interceptCall(Context.current().withValue(InternalCaller.AUTHENTICATED_AS, "internal-token"),
                call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() { };
    }
}
