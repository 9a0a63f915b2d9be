package io.moemesh.service.transport;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/**
 * How the caller of the current internal call was authenticated, for handlers that trust what an
 * authenticated caller says about itself (the router's {@code moemesh-caller} metadata from
 * gateways): {@code internal-token}, or {@code certificate <identity>} under mTLS. Empty on a server
 * that runs with {@code moemesh.auth.allow-unauthenticated} (and no mTLS), or on a public server.
 */
public final class InternalCaller {

    static final Context.Key<String> AUTHENTICATED_AS = Context.key("moemesh-internal-caller");

    private InternalCaller() {
    }

    /** How the current call's caller was authenticated; empty when it was not. */
    public static Optional<String> authenticatedAs() {
        return Optional.ofNullable(AUTHENTICATED_AS.get());
    }

    /** On an mTLS server: records the verified client certificate's identity for the call. */
    static final class FromCertificate implements ServerInterceptor {

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            Optional<String> identity = PeerIdentityInterceptor.identity(
                    call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
            if (identity.isEmpty()) {
                return next.startCall(call, headers);
            }
            return Contexts.interceptCall(Context.current().withValue(AUTHENTICATED_AS, "certificate " + identity.get()),
                    call, headers, next);
        }
    }
}
