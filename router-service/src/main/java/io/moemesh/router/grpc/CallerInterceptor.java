package io.moemesh.router.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.service.Peers;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalCaller;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who a Generate call is for, as the router's fair queueing counts it: the {@code moemesh-caller}
 * header that the gateway sets to its caller's API-key fingerprint, or, without it, the peer's IP
 * address, an IPv6 one by its /64 (every connection from one host is one caller).
 *
 * <p>The header is trusted only on calls authenticated as internal ({@link InternalCaller}: the
 * internal token or an mTLS certificate), that is from the gateways, which set it from the key that
 * authenticated the end user. The server's own interceptors (token, certificate) run before this
 * one, which is bound to the service. A router run with {@code moemesh.auth.allow-unauthenticated}
 * and neither token nor mTLS cannot tell a gateway from anyone else: it trusts the header too and
 * says so once at start, since a host that reaches it can spread its requests over invented callers.
 * A present but malformed trusted header is refused, since only a broken or hostile caller sends one.
 */
public final class CallerInterceptor implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(CallerInterceptor.class);

    public static final Metadata.Key<String> CALLER_HEADER =
            Metadata.Key.of("moemesh-caller", Metadata.ASCII_STRING_MARSHALLER);
    /** The longest caller header taken: it becomes a queue key and may appear in logs. */
    static final int MAX_CALLER_LENGTH = 128;
    private static final Context.Key<String> CALLER = Context.key("moemesh-caller");

    private final boolean trustUnauthenticated;
    private final AtomicBoolean untrustedHeaderLogged = new AtomicBoolean();

    private CallerInterceptor(boolean trustUnauthenticated) {
        this.trustUnauthenticated = trustUnauthenticated;
    }

    /**
     * The interceptor for a public server made by {@code servers}: trusting authenticated callers
     * only when the server authenticates them, everyone otherwise (allow-unauthenticated; the
     * server factory has already refused to make a server without either).
     */
    public static CallerInterceptor forServer(GrpcServerFactory servers) {
        return servers.authenticatesInternalCallers() ? trustingAuthenticatedCallers() : trustingEveryCaller();
    }

    /** Takes the header only from calls {@link InternalCaller} says were authenticated. */
    public static CallerInterceptor trustingAuthenticatedCallers() {
        return new CallerInterceptor(false);
    }

    /** Takes the header from anyone (a router without internal authentication); logs a WARN saying so. */
    public static CallerInterceptor trustingEveryCaller() {
        LOG.warn("router: the moemesh-caller header is taken from every caller (moemesh.auth.allow-unauthenticated,"
                + " no internal token, no mTLS): anyone who reaches the router can name itself as any caller and"
                + " take a fresh share of the queue per name; set moemesh.auth.internal-token-file or"
                + " moemesh.tls.client-auth=require so that only gateways are believed");
        return new CallerInterceptor(true);
    }

    /** The current call's caller; {@link BatchScheduler#UNIDENTIFIED_CALLER} outside an intercepted call. */
    static String caller() {
        String caller = CALLER.get();
        return caller == null ? BatchScheduler.UNIDENTIFIED_CALLER : caller;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String header = headers.get(CALLER_HEADER);
        if (header != null && !trustUnauthenticated && InternalCaller.authenticatedAs().isEmpty()) {
            // not reachable while the server requires authentication; a wiring mistake if it is
            if (untrustedHeaderLogged.compareAndSet(false, true)) {
                LOG.warn("router: moemesh-caller header on an unauthenticated call ignored (the caller is counted by"
                        + " its address); is the internal token or mTLS interceptor missing from this server?");
            }
            header = null;
        }
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
            caller = "peer " + Peers.of(call);
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }
}
