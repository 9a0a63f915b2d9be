package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.moemesh.core.engine.FinishReason;
import io.moemesh.core.engine.Generation;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.SkippedExpert;
import io.moemesh.proto.v1.Usage;
import io.moemesh.router.batching.GenerationSink;
import java.util.List;

/** Streams one request's tokens to its gRPC caller; runs on the scheduler thread. */
final class GrpcGenerationSink implements GenerationSink {

    private final ServerCallStreamObserver<GenerateResponse> call;
    private final String requestId;
    private final long startNanos;
    private long firstTokenNanos;

    GrpcGenerationSink(ServerCallStreamObserver<GenerateResponse> call, String requestId, long startNanos) {
        this.call = call;
        this.requestId = requestId;
        this.startNanos = startNanos;
    }

    @Override
    public void onToken(int tokenId, String text) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        call.onNext(GenerateResponse.newBuilder()
                .setChunk(Chunk.newBuilder().addTokenIds(tokenId).setText(text)).build());
    }

    @Override
    public void onComplete(Generation generation, List<io.moemesh.router.batching.SkippedExpert> skipped) {
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
        call.onNext(GenerateResponse.newBuilder().setCompletion(completion).build());
        call.onCompleted();
    }

    @Override
    public void onError(Throwable error) {
        call.onError(Status.INTERNAL.withDescription("request " + requestId + " failed in the router: "
                + error.getMessage()).withCause(error).asRuntimeException());
    }

    @Override
    public boolean isCancelled() {
        return call.isCancelled();
    }

    private static io.moemesh.proto.v1.FinishReason finishReason(FinishReason reason) {
        return switch (reason) {
            case LENGTH -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_LENGTH;
            case EOS -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_EOS;
            case STOP -> io.moemesh.proto.v1.FinishReason.FINISH_REASON_STOP;
        };
    }
}
