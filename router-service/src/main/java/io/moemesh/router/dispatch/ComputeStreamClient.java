package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.AbstractFuture;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compute calls to one endpoint as messages on one long-lived {@code Expert/ComputeStream}, instead
 * of a unary call each: no HTTP/2 stream to open, no headers or trailers to encode and parse, no
 * server call to set up per layer step. Each call still has its own future, deadline and failure,
 * with the same meanings as a unary call's, so {@link ExpertClient} and its callers see no difference.
 *
 * <ul>
 *   <li>A call's future fails with DEADLINE_EXCEEDED when no answer came within the call timeout;
 *       the endpoint is told to drop it. If nothing at all arrived on the stream since that call was
 *       sent, the stream is presumed dead (a connection that went silent) and is cancelled, which
 *       fails its other calls at once instead of each at its own deadline.
 *   <li>A call that fails on the endpoint fails its future with the status the endpoint answered.
 *   <li>The stream ending (the endpoint shutting down, the connection lost, a cancel) fails every call
 *       still waiting on it with that status, UNAVAILABLE when it ended cleanly; the next call opens
 *       a new stream. Those failures count against the endpoint's breaker, as unary failures would.
 *   <li>A cancelled future withdraws its call on the endpoint too (as a cancelled unary call does).
 *   <li>An endpoint that does not serve {@code ComputeStream} (UNIMPLEMENTED: an older expert service)
 *       gets unary calls from then on, and the calls waiting on the refused stream are re-sent unary;
 *       nothing is lost.
 * </ul>
 * Messages are written under this object's lock (gRPC's request observer is not thread-safe); the
 * number of calls waiting is bounded by the caller (the endpoint's bulkhead).
 */
final class ComputeStreamClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeStreamClient.class);
    /** One daemon thread fires every stream's call deadlines; a fired timer only completes a future. */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlineTimer();

    private final String endpointId;
    private final ManagedChannel channel;
    private final long timeoutNanos;
    private final Function<ComputeRequest, ListenableFuture<ComputeResponse>> unary;
    private final AtomicLong ids = new AtomicLong();
    private Session session; // guarded by this; null until the first call and after a stream ends
    private boolean closed; // guarded by this
    private volatile boolean unsupported;

    /** @param unary how to make one call unary, for an endpoint that does not serve the stream */
    ComputeStreamClient(String endpointId, ManagedChannel channel, Duration timeout,
            Function<ComputeRequest, ListenableFuture<ComputeResponse>> unary) {
        this.endpointId = endpointId;
        this.channel = channel;
        this.timeoutNanos = timeout.toNanos();
        this.unary = unary;
    }

    /** Sends one call; the future completes with the answer or fails with a status, at its deadline at the latest. */
    ListenableFuture<ComputeResponse> compute(ComputeRequest request) {
        if (unsupported) {
            return unary.apply(request);
        }
        Call call = new Call(ids.incrementAndGet(), request);
        synchronized (this) {
            if (closed) {
                return Futures.immediateFailedFuture(Status.UNAVAILABLE.withDescription("the client of expert endpoint "
                        + endpointId + " is closed (the endpoint was removed)").asRuntimeException());
            }
            Session s = session;
            if (s == null) {
                s = new Session();
                session = s;
                try {
                    ExpertGrpc.newStub(channel).computeStream(s); // may end at once (channel shut down)
                } catch (RuntimeException e) { // the call could not even start: no stream, the caller fails it
                    session = null;
                    throw e;
                }
            }
            call.session = s;
            call.sent = System.nanoTime();
            call.deadline = DEADLINES.schedule(call::expire, timeoutNanos, TimeUnit.NANOSECONDS);
            s.calls.put(call.id, call);
            if (s.ended != null) { // ended before the call was listed: end() did not see it
                s.calls.remove(call.id);
                call.deadline.cancel(false);
                return unsupported ? unary.apply(request) : Futures.immediateFailedFuture(s.ended.asRuntimeException());
            }
            try {
                s.requests.onNext(request.toBuilder().setCallId(call.id).setTimeoutNanos(timeoutNanos).build());
            } catch (RuntimeException e) { // the stream was cancelled a moment ago (a timeout, close())
                if (s.calls.remove(call.id) != null) {
                    call.deadline.cancel(false);
                    call.setException(Status.UNAVAILABLE.withDescription("the Compute stream to expert endpoint "
                            + endpointId + " closed while sending: " + e.getMessage()).withCause(e).asRuntimeException());
                }
            }
        }
        call.addListener(call::withdrawIfCancelled, MoreExecutors.directExecutor());
        return call;
    }

    /** Calls waiting for an answer on the current stream. */
    synchronized int waiting() {
        return session == null ? 0 : session.calls.size();
    }

    @Override
    public void close() {
        Session open;
        synchronized (this) {
            closed = true;
            open = session;
        }
        if (open != null && open.requests != null) {
            open.requests.cancel("expert endpoint " + endpointId + " was removed", null);
        }
    }

    private synchronized void sendCancel(Session s, long id) {
        if (session != s) {
            return; // that stream has ended: the endpoint dropped the call already
        }
        try {
            s.requests.onNext(ComputeRequest.newBuilder().setCallId(id).setCancel(true).build());
        } catch (RuntimeException e) {
            LOG.debug("expert endpoint {}: could not withdraw call {}: {}", endpointId, id, e.toString());
        }
    }

    private static ScheduledThreadPoolExecutor deadlineTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("expert-call-deadlines").factory());
        timer.setRemoveOnCancelPolicy(true); // answered calls take their timers with them
        return timer;
    }

    /** One stream: its request side, and the calls sent on it that wait for an answer. */
    private final class Session implements ClientResponseObserver<ComputeRequest, ComputeResponse> {

        final Map<Long, Call> calls = new ConcurrentHashMap<>();
        ClientCallStreamObserver<ComputeRequest> requests;
        volatile long lastAnswer = System.nanoTime();
        /** What calls listed too late get (see compute); null while the stream is open. */
        volatile Status ended;

        @Override
        public void beforeStart(ClientCallStreamObserver<ComputeRequest> requestStream) {
            this.requests = requestStream;
        }

        @Override
        public void onNext(ComputeResponse response) {
            lastAnswer = System.nanoTime();
            Call call = calls.remove(response.getCallId());
            if (call == null) {
                return; // timed out or withdrawn meanwhile
            }
            call.deadline.cancel(false);
            if (response.getStatusCode() != 0) {
                call.setException(Status.fromCodeValue(response.getStatusCode())
                        .withDescription(response.getStatusMessage()).asRuntimeException());
            } else {
                call.set(response);
            }
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                LOG.warn("expert endpoint {} does not serve ComputeStream (an older expert service?): unary Compute"
                        + " calls to it from now on", endpointId);
                unsupported = true;
                end(Status.OK);
                return;
            }
            if (status.getCode() == Status.Code.CANCELLED) { // only this client cancels: the stream went silent or was closed
                status = Status.UNAVAILABLE.withDescription(status.getDescription()).withCause(status.getCause());
            }
            end(status.augmentDescription("the Compute stream to expert endpoint " + endpointId + " failed"));
        }

        @Override
        public void onCompleted() {
            end(Status.UNAVAILABLE.withDescription("expert endpoint " + endpointId
                    + " ended the Compute stream (shutting down?); the call was not answered"));
        }

        /** Stops sending on this stream (the next call opens another) and cancels it, which fails its calls. */
        void abandon(String why) {
            synchronized (ComputeStreamClient.this) {
                if (session == this) {
                    session = null;
                }
            }
            requests.cancel(why, null);
        }

        /** Fails what waits on this stream with {@code status}, or re-sends it unary when status is OK. */
        private void end(Status status) {
            ended = status.isOk() ? Status.UNAVAILABLE.withDescription("the Compute stream was refused") : status;
            synchronized (ComputeStreamClient.this) {
                if (session == this) {
                    session = null;
                }
            }
            for (Long id : calls.keySet()) {
                Call call = calls.remove(id);
                if (call == null) {
                    continue;
                }
                call.deadline.cancel(false);
                if (status.isOk()) {
                    call.setFuture(unary.apply(call.request));
                } else {
                    call.setException(status.asRuntimeException());
                }
            }
        }
    }

    /** One call's future; completed by its answer, its deadline, or its stream ending. */
    private final class Call extends AbstractFuture<ComputeResponse> {

        final long id;
        final ComputeRequest request;
        long sent; // set before the call is listed, after its stream exists
        Session session;
        ScheduledFuture<?> deadline;

        Call(long id, ComputeRequest request) {
            this.id = id;
            this.request = request;
        }

        void expire() {
            if (session.calls.remove(id) == null) {
                return;
            }
            if (session.lastAnswer - sent < 0) { // nothing arrived since this call went out: the stream looks dead
                LOG.warn("expert endpoint {}: no answer on its Compute stream for {} ms; cancelling the stream",
                        endpointId, Duration.ofNanos(timeoutNanos).toMillis());
                session.abandon("no answer on the Compute stream within the call timeout");
            } else {
                sendCancel(session, id);
            }
            setException(Status.DEADLINE_EXCEEDED.withDescription("expert endpoint " + endpointId
                    + " did not answer within " + Duration.ofNanos(timeoutNanos).toMillis() + " ms (Compute stream)")
                    .asRuntimeException());
        }

        void withdrawIfCancelled() {
            if (isCancelled() && session.calls.remove(id) != null) {
                deadline.cancel(false);
                sendCancel(session, id);
            }
        }

        @Override
        protected boolean set(ComputeResponse value) {
            return super.set(value);
        }

        @Override
        protected boolean setException(Throwable failure) {
            return super.setException(failure);
        }

        @Override
        protected boolean setFuture(ListenableFuture<? extends ComputeResponse> future) {
            return super.setFuture(future);
        }
    }
}
