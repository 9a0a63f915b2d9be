package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.moemesh.core.engine.FinishReason;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.TokenLogprobs;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.SkippedExpert;
import io.moemesh.proto.v1.Usage;
import io.moemesh.router.batching.GenerationSink;
import io.moemesh.router.batching.OverloadedException;
import io.moemesh.router.batching.PrunedExpertRefusedException;
import io.moemesh.router.batching.ReroutedExpert;
import io.moemesh.router.batching.SchedulerStats;
import io.moemesh.router.batching.SchedulerStoppedException;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Streams one request's tokens to its gRPC caller. The scheduler thread calls it and must never
 * wait on a client, so it honours gRPC flow control without blocking: while the call is not ready
 * (the client reads slowly, or not at all), responses wait in a backlog that gRPC's on-ready
 * handler drains. A backlog over {@code maxBacklog} responses ends the stream with
 * RESOURCE_EXHAUSTED and drops the request from the batch, so a client that stops reading costs
 * bounded memory and never slows the others. A cancelled call (client gone, deadline passed) is
 * seen through the cancel handler; the scheduler drops the request before its next step.
 */
final class GrpcGenerationSink implements GenerationSink {

    private final ServerCallStreamObserver<GenerateResponse> call;
    private final String requestId;
    private final long startNanos;
    private final int maxBacklog;
    private final SchedulerStats stats;
    private final ChunkLogprobs logprobs;
    private final ArrayDeque<GenerateResponse> backlog = new ArrayDeque<>();
    private long firstTokenNanos;
    private boolean completeWhenDrained; // guarded by this, like the call itself
    private boolean closed;
    private volatile boolean gone;

    GrpcGenerationSink(ServerCallStreamObserver<GenerateResponse> call, String requestId, long startNanos,
            int maxBacklog, SchedulerStats stats, ChunkLogprobs logprobs) {
        this.call = call;
        this.requestId = requestId;
        this.startNanos = startNanos;
        this.maxBacklog = maxBacklog;
        this.stats = stats;
        this.logprobs = logprobs;
        call.setOnCancelHandler(() -> gone = true);
        call.setOnReadyHandler(this::drain);
    }

    @Override
    public void onToken(int tokenId, String text, TokenLogprobs tokenLogprobs) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        Chunk.Builder chunk = Chunk.newBuilder().addTokenIds(tokenId).setText(text);
        if (tokenLogprobs != null) { // one per token id, except the EOS that ends the sequence, which has none
            chunk.addLogprobs(logprobs.toProto(tokenLogprobs));
        }
        send(GenerateResponse.newBuilder().setChunk(chunk).build());
    }

    @Override
    public void onComplete(Generation generation, List<ReroutedExpert> skipped) {
        onComplete(generation, skipped, List.of());
    }

    @Override
    public void onComplete(Generation generation, List<ReroutedExpert> skipped,
            List<ReroutedExpert> pruned) {
        long now = System.nanoTime();
        Completion.Builder completion = Completion.newBuilder()
                .setFinishReason(finishReason(generation.finishReason()))
                .setRequestId(requestId)
                .setDegraded(!skipped.isEmpty())
                .setUsage(Usage.newBuilder()
                        .setPromptTokens(generation.promptIds().length)
                        .setCompletionTokens(generation.tokenIds().length)
                        .setTimeToFirstTokenMicros((firstTokenNanos - startNanos) / 1000)
                        .setTotalTimeMicros((now - startNanos) / 1000));
        for (var s : skipped) {
            completion.addSkippedExperts(SkippedExpert.newBuilder()
                    .setLayer(s.layer()).setExpert(s.expert()).setTokens(s.tokens()));
        }
        for (var p : pruned) { // planned: not degraded
            completion.addPrunedExperts(SkippedExpert.newBuilder()
                    .setLayer(p.layer()).setExpert(p.expert()).setTokens(p.tokens()));
        }
        send(GenerateResponse.newBuilder().setCompletion(completion).build());
        synchronized (this) {
            completeWhenDrained = true;
            drain();
        }
    }

    @Override
    public void onError(Throwable error) {
        Status status = switch (error) {
            case SchedulerStoppedException e -> Status.UNAVAILABLE.withDescription("request " + requestId + ": "
                    + e.getMessage());
            case OverloadedException e -> Status.RESOURCE_EXHAUSTED.withDescription("request " + requestId + ": "
                    + e.getMessage());
            case PrunedExpertRefusedException e -> Status.FAILED_PRECONDITION.withDescription("request " + requestId
                    + ": " + e.getMessage());
            default -> Status.INTERNAL.withDescription("request " + requestId + " failed in the router: " + error);
        };
        close(status.withCause(error).asRuntimeException());
    }

    @Override
    public boolean isCancelled() {
        return gone;
    }

    private synchronized void send(GenerateResponse response) {
        if (closed) {
            return;
        }
        if (backlog.isEmpty() && call.isReady()) {
            call.onNext(response);
            return;
        }
        if (backlog.size() >= maxBacklog) {
            stats.abandoned();
            close(Status.RESOURCE_EXHAUSTED.withDescription("request " + requestId + ": the client read none of the "
                    + "last " + maxBacklog + " responses (moemesh.router.max-stream-backlog); the stream was ended "
                    + "so that a client that stops reading cannot hold the router's memory").asRuntimeException());
            return;
        }
        backlog.add(response);
    }

    /** Sends what waits while the call can take it; gRPC calls it whenever the call becomes ready. */
    private synchronized void drain() {
        while (!closed && !backlog.isEmpty() && call.isReady()) {
            call.onNext(backlog.poll());
        }
        if (!closed && completeWhenDrained && backlog.isEmpty()) {
            closed = true;
            call.onCompleted();
        }
    }

    private synchronized void close(StatusRuntimeException status) {
        if (closed) {
            return;
        }
        closed = true;
        gone = true; // nobody will read more: leave the batch
        backlog.clear();
        call.onError(status);
    }

    private static io.moemesh.proto.v1.FinishReason finishReason(FinishReason reason) {
        return switch (reason) {
            case LENGTH -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_LENGTH;
            case EOS -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_EOS;
            case STOP -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_STOP;
        };
    }
}
