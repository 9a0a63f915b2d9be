package io.moemesh.gateway.routing;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one caller's call to a router, response by response.
 *
 * <ul>
 *   <li>Flow control: asks the router for the next response only once the caller can take it, so a
 *       slow reader holds back its router stream instead of filling the gateway's memory.</li>
 *   <li>Cancellation: when the caller cancels (or its deadline passes), the router call is cancelled.</li>
 *   <li>Failover: a router that answers UNAVAILABLE before any response was relayed is replaced by
 *       the next router, once. The request was not admitted there, so nothing runs twice. After the
 *       first response, errors are relayed as they are: a generation cannot be resumed elsewhere.</li>
 * </ul>
 */
public final class RouterForwarder {

    private static final Logger LOG = LoggerFactory.getLogger(RouterForwarder.class);
    private static final int MAX_ATTEMPTS = 2;

    /** Told when a call moves to another router. */
    public interface FailoverListener {
        void failedOver(RouterClient from, RouterClient to, Status reason);
    }

    private final RouterPool pool;
    private final FailoverListener failovers;
    private final Tracer tracer;

    public RouterForwarder(RouterPool pool, FailoverListener failovers) {
        this(pool, failovers, Tracer.NOOP);
    }

    /** @param tracer keeps a failover's router call in the trace of the caller's call */
    public RouterForwarder(RouterPool pool, FailoverListener failovers, Tracer tracer) {
        this.pool = pool;
        this.failovers = failovers;
        this.tracer = tracer;
    }

    /**
     * Starts relaying; the caller's observer gets the router's responses and its final status. A
     * router's INTERNAL or UNKNOWN status reaches the caller as "internal error; request id <id>",
     * its description only the gateway's log: it may carry exception text from inside the deployment.
     */
    public <Q, R> void forward(MethodDescriptor<Q, R> method, Q request, RouterCall call,
            ServerCallStreamObserver<R> caller) {
        new Relay<>(method, request, call, caller).start();
    }

    /** What a caller sees of an internal failure: a generic text and the id the log line carries. */
    public static Status internalError(String requestId) {
        return Status.INTERNAL.withDescription("internal error; request id " + requestId);
    }

    private final class Relay<Q, R> {
        private final MethodDescriptor<Q, R> method;
        private final Q request;
        private final RouterCall forwarded;
        private final ServerCallStreamObserver<R> caller;
        private final List<RouterClient> tried = new ArrayList<>(MAX_ATTEMPTS);
        private final List<String> failures = new ArrayList<>(MAX_ATTEMPTS);
        private final AtomicBoolean wantsNext = new AtomicBoolean();
        private volatile ClientCallStreamObserver<Q> routerCall;
        private volatile boolean callerGone;
        private volatile boolean relayedAny;
        /** The caller's server span: a failover's call starts on a transport thread, outside it. */
        private final Span callerSpan = tracer.currentSpan();

        Relay(MethodDescriptor<Q, R> method, Q request, RouterCall forwarded, ServerCallStreamObserver<R> caller) {
            this.method = method;
            this.request = request;
            this.forwarded = forwarded;
            this.caller = caller;
        }

        void start() {
            caller.setOnCancelHandler(this::callerCancelled);
            caller.setOnReadyHandler(this::callerReady);
            attempt(pool.pick(tried));
        }

        private void attempt(RouterClient router) {
            tried.add(router);
            if (callerGone) {
                return;
            }
            router.call(method, request, forwarded, new Attempt(router));
            if (callerGone) {
                callerCancelled();
            }
        }

        private void callerCancelled() {
            callerGone = true;
            ClientCallStreamObserver<Q> call = routerCall;
            if (call != null) {
                call.cancel("the caller cancelled the call", null);
            }
        }

        /** Requests the next router response once the caller is ready; safe against the ready race. */
        private void requestNextWhenReady() {
            wantsNext.set(true);
            callerReady();
        }

        private void callerReady() {
            ClientCallStreamObserver<Q> call = routerCall;
            if (call != null && caller.isReady() && wantsNext.compareAndSet(true, false)) {
                call.request(1);
            }
        }

        private boolean failsOver(Status status) {
            return status.getCode() == Status.Code.UNAVAILABLE && !relayedAny && !callerGone
                    && tried.size() < MAX_ATTEMPTS;
        }

        private void fail(RouterClient router, Throwable error) {
            Status status = Status.fromThrowable(error);
            if (failsOver(status)) {
                RouterClient next = pool.pick(tried);
                if (next != null) {
                    failures.add(router.target() + ": " + status.getDescription());
                    LOG.warn("{} unavailable before the first response ({}); retrying on {}", router,
                            status.getDescription(), next);
                    failovers.failedOver(router, next, status);
                    try (Tracer.SpanInScope inTrace = callerSpan == null ? null : tracer.withSpan(callerSpan)) {
                        attempt(next);
                    }
                    return;
                }
            }
            if (callerGone) {
                return;
            }
            Status relayed = toCaller(router, status);
            // trailers go with a refusal relayed as the router sent it, never with a rewritten status
            Metadata trailers = relayed == status ? Status.trailersFromThrowable(error) : null;
            caller.onError(relayed.asRuntimeException(trailers == null ? new Metadata() : trailers));
        }

        /**
         * The status the caller gets. Refusals a router writes for the caller are relayed as they are;
         * a status from the router call itself (the channel, the deadline, the router's view of the
         * gateway's own credentials) names internal addresses or is not the caller's to act on: it is
         * logged under the request id, and the caller gets a generic text with that id.
         */
        private Status toCaller(RouterClient router, Status status) {
            String id = forwarded.requestId();
            return switch (status.getCode()) {
                case INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, OUT_OF_RANGE -> status;
                case UNAVAILABLE -> {
                    if (relayedAny) {
                        yield status; // the router's own words mid-generation; it cannot fail over
                    }
                    failures.add(router.target() + ": " + status.getDescription());
                    LOG.warn("request {}: no router could take the request; tried {}", id, String.join("; ", failures));
                    yield Status.UNAVAILABLE.withDescription("no router could take the request (" + failures.size()
                            + " tried); retry later; request id " + id);
                }
                case CANCELLED -> {
                    // not the caller's cancel (that ends the relay before here): a router forced down resets its streams
                    LOG.warn("request {}: {} cancelled the call: {}", id, router, status.getDescription());
                    yield Status.UNAVAILABLE.withDescription("the router stopped the call; retry later; request id " + id);
                }
                case DEADLINE_EXCEEDED -> {
                    LOG.warn("request {}: {} ran past the call's deadline: {}", id, router, status.getDescription());
                    yield Status.DEADLINE_EXCEEDED.withDescription("the router did not finish before the call's"
                            + " deadline; request id " + id);
                }
                default -> {
                    LOG.error("request {}: {} failed with {}: {}", id, router, status.getCode(), status.getDescription(),
                            status.getCause());
                    yield internalError(id);
                }
            };
        }

        /** One router call; gRPC delivers its callbacks one at a time. */
        private final class Attempt implements ClientResponseObserver<Q, R> {
            private final RouterClient router;

            Attempt(RouterClient router) {
                this.router = router;
            }

            @Override
            public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
                requestStream.disableAutoRequestWithInitial(1);
                routerCall = requestStream;
            }

            @Override
            public void onNext(R response) {
                relayedAny = true;
                if (!callerGone) {
                    caller.onNext(response);
                    requestNextWhenReady();
                }
            }

            @Override
            public void onError(Throwable error) {
                fail(router, error);
            }

            @Override
            public void onCompleted() {
                if (!callerGone) {
                    caller.onCompleted();
                }
            }
        }
    }
}
