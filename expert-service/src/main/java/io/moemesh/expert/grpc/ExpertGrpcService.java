package io.moemesh.expert.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.expert.batching.MicroBatcher;
import io.moemesh.expert.batching.Ticker;
import io.moemesh.expert.compute.ComputeCall;
import io.moemesh.expert.compute.ComputeException;
import io.moemesh.expert.compute.ComputeUseCase;
import io.moemesh.expert.compute.DescribeUseCase;
import io.moemesh.expert.compute.EndpointDescription;
import io.moemesh.expert.compute.RePlacementException;
import io.moemesh.expert.compute.RePlacementUseCase;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.ReleaseRetiredUnitsRequest;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.service.AsyncFailures;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound adapter of the internal {@code Expert} API. Compute is asynchronous: the handler thread
 * only validates and queues; a worker answers when the batch holding the request's rows is done.
 * The caller's deadline travels with the work, and a cancelled call drops whatever is still queued.
 * Re-placement calls block (they load and warm weights), so they run on the {@code blocking}
 * executor, never on the transport thread.
 *
 * <p>Every call is answered exactly once, from code that cannot throw past it: a response, or a
 * status with a description. Answering runs in completion callbacks, whose exceptions would vanish
 * into futures nobody reads and leave the call open, so it catches everything and closes the call
 * with INTERNAL instead. A cancelled call is not answered: the cancellation already closed it.
 */
public final class ExpertGrpcService extends ExpertGrpc.ExpertImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertGrpcService.class);

    private final ComputeUseCase compute;
    private final DescribeUseCase describe;
    private final RePlacementUseCase rePlacement;
    private final Executor blocking;
    private final Ticker ticker;
    private final ComputeStreams streams = new ComputeStreams();

    public ExpertGrpcService(ComputeUseCase compute, DescribeUseCase describe, RePlacementUseCase rePlacement,
            Executor blocking, Ticker ticker) {
        this.compute = compute;
        this.describe = describe;
        this.rePlacement = rePlacement;
        this.blocking = blocking;
        this.ticker = ticker;
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> responses) {
        responses.onNext(ExpertProtoMapper.toResponse(describe.describe()));
        responses.onCompleted();
    }

    @Override
    public void compute(ComputeRequest request, StreamObserver<ComputeResponse> responses) {
        long received = System.nanoTime();
        ServerCallStreamObserver<ComputeResponse> call = (ServerCallStreamObserver<ComputeResponse>) responses;
        Context context = Context.current();
        ComputeCall pending;
        try {
            pending = compute.start(ExpertProtoMapper.toCommand(request, compute.hiddenSize(), deadlineNanos(context)));
        } catch (RuntimeException e) {
            call.onError(toStatus(request, e).asRuntimeException());
            return;
        }
        call.setOnCancelHandler(() -> pending.cancel(isExpired(context.getDeadline())));
        pending.result().whenComplete((output, error) -> answer(call, request, output, error, received));
    }

    /** Compute calls on one long-lived stream; see {@link ComputeStream}. */
    @Override
    public StreamObserver<ComputeRequest> computeStream(StreamObserver<ComputeResponse> responses) {
        ComputeStream stream = new ComputeStream((ServerCallStreamObserver<ComputeResponse>) responses, compute, ticker,
                streams);
        streams.add(stream);
        return stream;
    }

    /**
     * Shutdown has begun (the server refuses new calls and streams): every open Compute stream answers
     * what it admitted and ends, so the routers move to other replicas and the drain is not held up.
     */
    public void drainStreams() {
        streams.drainAll();
    }

    /** Compute streams open now. */
    int openStreams() {
        return streams.size();
    }

    private void answer(ServerCallStreamObserver<ComputeResponse> call, ComputeRequest request, float[] output,
            Throwable error, long received) {
        if (call.isCancelled()) {
            return;
        }
        Status failure;
        if (error == null) {
            try {
                call.onNext(ExpertProtoMapper.toResponse(output, compute.hiddenSize(), System.nanoTime() - received));
                call.onCompleted();
                return;
            } catch (RuntimeException | Error e) {
                LOG.error("request {} layer {}: sending the response failed", request.getRequestId(),
                        request.getLayer(), e);
                failure = Status.INTERNAL.withDescription("expert service could not send the response to request "
                        + request.getRequestId() + ": " + e + "; see the expert service log").withCause(e);
            }
        } else {
            failure = toStatus(request, error);
        }
        closeWith(call, failure, "request " + request.getRequestId());
    }

    @Override
    public void setPartnerUnits(SetPartnerUnitsRequest request, StreamObserver<DescribeResponse> responses) {
        List<UnitId> partners;
        try {
            partners = ExpertProtoMapper.toPartnerUnits(request);
        } catch (RePlacementException e) {
            responses.onError(toStatus("SetPartnerUnits", e).asRuntimeException());
            return;
        }
        answerOffTransport("SetPartnerUnits", responses, () -> rePlacement.setPartnerUnits(partners));
    }

    @Override
    public void releaseRetiredUnits(ReleaseRetiredUnitsRequest request, StreamObserver<DescribeResponse> responses) {
        answerOffTransport("ReleaseRetiredUnits", responses, rePlacement::releaseRetiredUnits);
    }

    private void answerOffTransport(String method, StreamObserver<DescribeResponse> responses,
            Supplier<EndpointDescription> change) {
        Context caller = Context.current();
        blocking.execute(() -> {
            if (caller.isCancelled()) { // deadline passed or caller gone while queued: change nothing
                responses.onError(Status.CANCELLED.withDescription(method + " not applied: the caller cancelled it"
                        + " or its deadline passed before it started").asRuntimeException());
                return;
            }
            DescribeResponse response;
            try {
                response = ExpertProtoMapper.toResponse(change.get());
            } catch (RuntimeException | Error e) {
                closeWith(responses, toStatus(method, e), method);
                return;
            }
            try {
                responses.onNext(response);
                responses.onCompleted();
            } catch (RuntimeException e) {
                LOG.error("{}: applied, but sending the answer failed", method, e);
                closeWith(responses, Status.INTERNAL.withDescription(method + " was applied but its answer could "
                        + "not be sent: " + e + "; call Describe to see the result").withCause(e), method);
            }
        });
    }

    /** The last resort: closes the call with {@code status}; if even that fails, the call is gone and it is logged. */
    private static void closeWith(StreamObserver<?> call, Status status, String what) {
        try {
            call.onError(status.asRuntimeException());
        } catch (RuntimeException e) {
            LOG.warn("{}: could not close the call with {}: {}", what, status.getCode(), e.toString());
        }
    }

    private long deadlineNanos(Context context) {
        Deadline deadline = context.getDeadline();
        return deadline == null ? MicroBatcher.NO_DEADLINE : ticker.nanos() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
    }

    private static boolean isExpired(Deadline deadline) {
        return deadline != null && deadline.isExpired();
    }

    /** Every failure leaves with a code and a description; nothing becomes UNKNOWN. */
    static Status toStatus(ComputeRequest request, Throwable error) {
        Throwable cause = AsyncFailures.cause(error);
        if (cause instanceof ComputeException failure) {
            LOG.debug("request {} layer {}: {} {}", request.getRequestId(), request.getLayer(), failure.kind(),
                    failure.getMessage());
            return Status.fromCode(Status.Code.valueOf(failure.kind().name())).withDescription(failure.getMessage());
        }
        LOG.error("request {} layer {} failed", request.getRequestId(), request.getLayer(), cause);
        return Status.INTERNAL.withDescription("expert service failed on request " + request.getRequestId() + ": "
                + cause + "; see the expert service log").withCause(cause);
    }

    private static Status toStatus(String method, Throwable error) {
        if (error instanceof RePlacementException refused) {
            if (refused.kind() == RePlacementException.Kind.INVALID_ARGUMENT) {
                LOG.debug("{}: {}", method, refused.getMessage());
            } else {
                LOG.error("{} failed", method, refused);
            }
            return Status.fromCode(Status.Code.valueOf(refused.kind().name())).withDescription(refused.getMessage())
                    .withCause(refused.getCause());
        }
        LOG.error("{} failed", method, error);
        return Status.INTERNAL.withDescription(method + " failed: " + error + "; see the expert service log")
                .withCause(error);
    }
}
