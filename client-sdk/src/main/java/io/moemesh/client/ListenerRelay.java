package io.moemesh.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.client.internal.GenerationAssembler;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;

/**
 * Feeds one call's responses to a listener: {@link MoeMeshClient#stream(GenerateOptions, GenerationListener)}.
 * gRPC calls these methods one at a time.
 */
final class ListenerRelay implements ClientResponseObserver<GenerateRequest, GenerateResponse>, StreamingCall {

    private final GenerationListener listener;
    private final GenerationAssembler assembler = new GenerationAssembler();
    private volatile ClientCallStreamObserver<GenerateRequest> call;
    private MoeMeshException protocolError;

    ListenerRelay(GenerationListener listener) {
        this.listener = listener;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
        this.call = requestStream;
    }

    @Override
    public void onNext(GenerateResponse response) {
        TextChunk chunk;
        try {
            chunk = assembler.accept(response);
        } catch (MoeMeshException e) {
            protocolError = e;
            call.cancel("the server broke the protocol", e);
            return;
        }
        if (chunk != null) {
            listener.onChunk(chunk);
        }
    }

    @Override
    public void onError(Throwable error) {
        listener.onError(protocolError != null ? protocolError : MoeMeshException.of(error));
    }

    @Override
    public void onCompleted() {
        GenerationResult result;
        try {
            result = assembler.result();
        } catch (MoeMeshException e) {
            listener.onError(e);
            return;
        }
        listener.onComplete(result);
    }

    @Override
    public void cancel() {
        call.cancel("cancelled by the caller", null);
    }
}
