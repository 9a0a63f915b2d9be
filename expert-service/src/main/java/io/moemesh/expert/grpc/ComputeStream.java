package io.moemesh.expert.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeCall;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One router's long-lived {@code ComputeStream}: each request is a Compute call of its own, started
 * exactly as the unary handler starts one (same validation, same queues, its own deadline), and
 * answered on the stream with its call id as soon as it completes, in completion order. A failed
 * call is answered with its status; it never ends the stream.
 *
 * <p>What ends it: the router half-closing (answered calls finish first), the router cancelling or
 * the connection dropping (calls still queued are dropped, as a cancelled unary call's are), the
 * service draining for shutdown ({@link #drain}: calls admitted before are answered, later ones get
 * UNAVAILABLE, then the stream ends with OK so the router opens a new one elsewhere), or a response
 * that cannot be written (the stream is cancelled and its calls dropped; the router fails them over).
 * Answers are written under this object's lock: gRPC's observer is not thread-safe, and answers come
 * from batcher workers and transport threads at once. Requests are read {@link #READ_AHEAD} ahead and
 * then one per request handled, and only while the router takes the answers: nothing piles up here
 * for a router that stops reading.
 */
final class ComputeStream implements StreamObserver<ComputeRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeStream.class);
    /** Calls one stream may have admitted and unanswered; the router's bulkhead keeps far fewer in flight (64). */
    static final int MAX_CALLS_IN_FLIGHT = 1024;
    /** Requests read ahead of the answers; more are read only while the router takes the answers. */
    static final int READ_AHEAD = 8;

    private final ServerCallStreamObserver<ComputeResponse> out;
    private final ComputeUseCase compute;
    private final Ticker ticker;
    private final ComputeStreams registry;
    private final Map<Long, ComputeCall> inFlight = new ConcurrentHashMap<>();
    private volatile boolean draining;
    /** A request was handled while answers were not being taken: read the next one on the ready signal. */
    private boolean readWhenReady; // transport callbacks of one call never run at once
    private boolean halfClosed; // guarded by this
    private boolean ended; // guarded by this

    ComputeStream(ServerCallStreamObserver<ComputeResponse> out, ComputeUseCase compute, Ticker ticker,
            ComputeStreams registry) {
        this.out = out;
        this.compute = compute;
        this.ticker = ticker;
        this.registry = registry;
        out.setOnCancelHandler(this::cancelled);
        // Inbound flow control by hand: a router that stops reading answers stops having its requests
        // read, so HTTP/2 flow control pushes back on it instead of this endpoint buffering answers.
        out.disableAutoRequest();
        out.setOnReadyHandler(this::answersFlow);
        out.request(READ_AHEAD);
    }

    private void answersFlow() {
        if (readWhenReady && out.isReady()) {
            readWhenReady = false;
            out.request(1);
        }
    }

    /** One request handled: read the next while answers are taken, else once they are again. */
    private void readNext() {
        if (out.isReady()) {
            out.request(1);
        } else {
            readWhenReady = true;
        }
    }

    @Override
    public void onNext(ComputeRequest request) {
        try {
            handle(request);
        } finally {
            readNext();
        }
    }

    private void handle(ComputeRequest request) {
        long received = System.nanoTime();
        long id = request.getCallId();
        if (request.getCancel()) {
            ComputeCall withdrawn = inFlight.remove(id);
            if (withdrawn != null) {
                withdrawn.cancel(false);
            }
            return;
        }
        Status refusal = admission(request);
        if (refusal != null) {
            send(failure(id, refusal));
            return;
        }
        ComputeCall call;
        try {
            call = compute.start(ExpertProtoMapper.toCommand(request, compute.hiddenSize(), deadlineNanos(request)));
        } catch (RuntimeException e) {
            send(failure(id, ExpertGrpcService.toStatus(request, e)));
            return;
        }
        inFlight.put(id, call);
        call.result().whenComplete((output, error) -> answer(request, output, error, received));
    }

    /** Why a request is refused before it starts, or null. */
    private Status admission(ComputeRequest request) {
        if (draining) {
            return Status.UNAVAILABLE.withDescription("expert endpoint is shutting down; the call was not started,"
                    + " send it to another replica or open a new stream");
        }
        if (inFlight.containsKey(request.getCallId())) {
            return Status.INVALID_ARGUMENT.withDescription("call_id " + request.getCallId()
                    + " is already in flight on this stream; call ids must be unique among unanswered calls");
        }
        if (inFlight.size() >= MAX_CALLS_IN_FLIGHT) {
            return Status.RESOURCE_EXHAUSTED.withDescription(MAX_CALLS_IN_FLIGHT + " calls already in flight on"
                    + " this stream; wait for answers before sending more");
        }
        return null;
    }

    private void answer(ComputeRequest request, float[] output, Throwable error, long received) {
        long id = request.getCallId();
        if (inFlight.remove(id) == null) {
            return; // withdrawn, or the stream ended: nobody is waiting for it
        }
        ComputeResponse response;
        try {
            response = error == null
                    ? ExpertProtoMapper.toResponseBuilder(output, compute.hiddenSize(), System.nanoTime() - received)
                            .setCallId(id).build()
                    : failure(id, ExpertGrpcService.toStatus(request, error));
        } catch (RuntimeException | Error e) {
            LOG.error("request {} layer {}: building the response failed", request.getRequestId(), request.getLayer(), e);
            response = failure(id, Status.INTERNAL.withDescription("expert service could not build the response to"
                    + " request " + request.getRequestId() + ": " + e + "; see the expert service log"));
        }
        send(response);
        endIfQuiet();
    }

    private static ComputeResponse failure(long id, Status status) {
        String description = status.getDescription();
        return ComputeResponse.newBuilder().setCallId(id).setStatusCode(status.getCode().value())
                .setStatusMessage(description == null ? status.getCode().name() : description).build();
    }

    private synchronized void send(ComputeResponse response) {
        if (ended || out.isCancelled()) {
            return;
        }
        try {
            out.onNext(response);
        } catch (RuntimeException e) {
            LOG.error("a Compute stream could not send an answer; ending the stream, its calls go elsewhere", e);
            ended = true;
            dropAll();
            try {
                out.onError(Status.INTERNAL.withDescription("expert service could not send an answer: " + e
                        + "; see the expert service log").asRuntimeException());
            } catch (RuntimeException closing) {
                LOG.warn("could not close the Compute stream: {}", closing.toString());
            }
            registry.remove(this);
        }
    }

    @Override
    public void onError(Throwable t) {
        cancelled(); // the router cancelled the stream or the connection dropped
    }

    @Override
    public void onCompleted() {
        synchronized (this) {
            halfClosed = true;
        }
        endIfQuiet();
    }

    /** Shutdown: refuse new calls, answer the admitted ones, then end the stream. */
    void drain() {
        draining = true;
        endIfQuiet();
    }

    private void endIfQuiet() {
        synchronized (this) {
            if (ended || !(halfClosed || draining) || !inFlight.isEmpty()) {
                return;
            }
            ended = true;
            if (!out.isCancelled()) {
                try {
                    out.onCompleted();
                } catch (RuntimeException e) {
                    LOG.warn("could not end the Compute stream: {}", e.toString());
                }
            }
        }
        registry.remove(this);
    }

    private void cancelled() {
        synchronized (this) {
            ended = true;
        }
        dropAll();
        registry.remove(this);
    }

    private void dropAll() {
        for (Long id : inFlight.keySet()) {
            ComputeCall call = inFlight.remove(id);
            if (call != null) {
                call.cancel(false);
            }
        }
    }

    private long deadlineNanos(ComputeRequest request) {
        return request.getTimeoutNanos() > 0 ? ticker.nanos() + request.getTimeoutNanos() : MicroBatcher.NO_DEADLINE;
    }
}
