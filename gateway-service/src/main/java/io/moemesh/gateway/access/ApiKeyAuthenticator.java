package io.moemesh.gateway.access;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.moemesh.service.Peers;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a call only with {@code authorization: Bearer <key>} for a key in use, and records its
 * {@link Caller}. A peer with too many failures is refused before its key is looked at
 * ({@link AuthFailureThrottle}). Failures are logged with the peer and the presented key's
 * fingerprint, at most {@value #LOG_LINES_PER_MINUTE} lines a minute. With no keys in use
 * (allowed only by {@code allow-unauthenticated}) every call is admitted as {@code anonymous:<peer>}.
 * The sending side is the client SDK's {@code ApiKeyCredentials}.
 */
public final class ApiKeyAuthenticator implements ServerInterceptor {

    /** Told of every refused authentication. */
    public interface FailureListener {
        /** {@code throttled}: refused for earlier failures, the key not looked at. */
        void authenticationFailed(boolean throttled);
    }

    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyAuthenticator.class);
    private static final int LOG_LINES_PER_MINUTE = 60;

    private final ApiKeyStore keys;
    private final AuthFailureThrottle throttle;
    private final FailureListener failures;
    private final LogBudget logBudget;

    public ApiKeyAuthenticator(ApiKeyStore keys, AuthFailureThrottle throttle, FailureListener failures,
            LongSupplier nanoTime) {
        this.keys = keys;
        this.throttle = throttle;
        this.failures = failures;
        this.logBudget = new LogBudget(LOG_LINES_PER_MINUTE, Duration.ofMinutes(1), nanoTime);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String peer = Peers.of(call);
        ApiKeys current = keys.current();
        if (!current.enabled()) {
            return admit(Caller.anonymous(peer), call, headers, next);
        }
        Duration refusedFor = throttle.refusedFor(peer);
        if (!refusedFor.isZero()) {
            failures.authenticationFailed(true);
            return refuse(call, "too many failed authentication attempts from " + peer + "; retry after "
                    + LimitExceededException.wholeSeconds(refusedFor) + "s");
        }
        String authorization = headers.get(AUTHORIZATION);
        Optional<Caller> caller = current.authenticate(authorization);
        if (caller.isPresent()) {
            return admit(caller.get(), call, headers, next);
        }
        int failuresInWindow = throttle.failed(peer);
        failures.authenticationFailed(false);
        long leftOut = logBudget.tryLog();
        if (leftOut >= 0) {
            String presented = ApiKeys.presentedKey(authorization);
            String key = presented == null ? "no bearer key"
                    : "unknown key with fingerprint " + ApiKeys.fingerprint(presented);
            LOG.warn("failed authentication from {}: {} ({} in this peer's window){}", peer, key, failuresInWindow,
                    leftOut > 0 ? "; " + leftOut + " such lines left out before this one" : "");
        }
        return refuse(call, "missing or invalid API key: send 'authorization: Bearer <key>'");
    }

    private static <Q, R> ServerCall.Listener<Q> admit(Caller caller, ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(Caller.CURRENT, caller), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String description) {
        call.close(Status.UNAUTHENTICATED.withDescription(description), new Metadata());
        return new ServerCall.Listener<>() { };
    }
}
