package io.moemesh.router.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.moemesh.router.batching.BatchScheduler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Who a Generate call is for, as the router's fair queueing counts it: the {@code moemesh-caller}
 * header that the gateway sets to its caller's API-key fingerprint, or, without it, the peer's IP
 * address (every connection from one host is one caller).
 *
 * <p>The header is taken on trust. Only authenticated internal callers (the internal token or
 * mTLS, {@code moemesh.auth.*}) reach the router's public port, and they are the gateways, which
 * set it from the key that authenticated the end user; a router run with
 * {@code moemesh.auth.allow-unauthenticated=true} trusts it too, so a host that can reach such a
 * router can spread its requests over invented callers. A present but malformed header is refused,
 * since only a broken or hostile caller sends one.
 */
public final class CallerInterceptor implements ServerInterceptor {

    public static final Metadata.Key<String> CALLER_HEADER =
            Metadata.Key.of("moemesh-caller", Metadata.ASCII_STRING_MARSHALLER);
    /** The longest caller header taken: it becomes a queue key and may appear in logs. */
    static final int MAX_CALLER_LENGTH = 128;
    private static final Context.Key<String> CALLER = Context.key("moemesh-caller");

    /** The current call's caller; {@link BatchScheduler#UNIDENTIFIED_CALLER} outside an intercepted call. */
    static String caller() {
        String caller = CALLER.get();
        return caller == null ? BatchScheduler.UNIDENTIFIED_CALLER : caller;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String header = headers.get(CALLER_HEADER);
        String caller;
        if (header != null) {
            if (header.isEmpty() || header.length() > MAX_CALLER_LENGTH
                    || !header.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                call.close(Status.INVALID_ARGUMENT.withDescription("the moemesh-caller header must be 1 to "
                        + MAX_CALLER_LENGTH + " printable ASCII characters without spaces"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            caller = "caller " + header;
        } else {
            caller = "peer " + peerAddress(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    /** The IP address alone: a caller's connections come from many ports. */
    private static String peerAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
        }
        return String.valueOf(address); // in-process and Unix-socket transports
    }
}
