package io.moemesh.testing;

import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.StreamingCall;
import io.moemesh.client.TextChunk;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Clients that misbehave the way real ones do, for the system-level tests of what they cost. */
public final class FailingClients {

    private FailingClients() {
    }

    /** A greedy request for {@code maxTokens} tokens that ignores EOS, as the raw protobuf. */
    public static GenerateRequest request(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setPrompt(prompt)
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setIgnoreEos(true)).build();
    }

    /**
     * Streams {@code options} and cancels on the first chunk, as a user who presses Ctrl-C does. The
     * future holds the error the call ended with (CANCELLED expected); {@code received} counts the
     * tokens that reached the client.
     */
    public static CompletableFuture<MoeMeshException> cancelAfterFirstChunk(MoeMeshClient client,
            GenerateOptions options, AtomicLong received) {
        CompletableFuture<MoeMeshException> end = new CompletableFuture<>();
        AtomicReference<StreamingCall> call = new AtomicReference<>();
        call.set(client.stream(options, new GenerationListener() {
            @Override
            public void onChunk(TextChunk chunk) {
                received.addAndGet(chunk.tokenIds().size());
                StreamingCall c = call.get();
                if (c != null) {
                    c.cancel();
                }
            }

            @Override
            public void onComplete(GenerationResult result) {
                end.completeExceptionally(new AssertionError("finished although cancelled: " + options.prompt()));
            }

            @Override
            public void onError(MoeMeshException error) {
                end.complete(error);
            }
        }));
        return end;
    }

    /**
     * Starts {@code request} on {@code channel} with the API key {@code key} (null: none) and never asks
     * for a response; cancel the returned call to end it.
     */
    public static ClientCallStreamObserver<GenerateRequest> neverReading(ManagedChannel channel, CallCredentials key,
            GenerateRequest request) {
        AtomicReference<ClientCallStreamObserver<GenerateRequest>> call = new AtomicReference<>();
        MoeMeshGrpc.newStub(channel).withCallCredentials(key).generate(request, new Ignoring() {
            @Override
            public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
                requestStream.disableAutoRequestWithInitial(0);
                call.set(requestStream);
            }
        });
        return call.get();
    }

    /**
     * Sends {@code request} with the API key {@code key} (null: none) to {@code target} on a plaintext
     * connection of its own and closes that connection at once.
     */
    public static void sendAndDisconnect(String target, CallCredentials key, GenerateRequest request) {
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
        MoeMeshGrpc.newStub(channel).withCallCredentials(key).generate(request, new Ignoring());
        channel.shutdownNow();
    }

    /** Reads nothing it is sent. */
    private static class Ignoring implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
        @Override
        public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
        }

        @Override
        public void onNext(GenerateResponse value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
