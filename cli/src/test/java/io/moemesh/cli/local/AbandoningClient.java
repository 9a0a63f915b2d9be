package io.moemesh.cli.local;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.moemesh.client.ApiKeyCredentials;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A client process for {@link ClientFailuresIT}: opens {@code streams} Generate calls to a gateway,
 * each on a connection of its own, prints {@code STREAMING} once every call has received a chunk,
 * then waits to be killed mid-stream. Arguments: gateway target, API key file, streams, max tokens.
 */
public final class AbandoningClient {

    private AbandoningClient() {
    }

    public static void main(String[] args) throws InterruptedException {
        String target = args[0];
        ApiKeyCredentials key = ApiKeyCredentials.fromFile(Path.of(args[1])).allowingPlaintextToLoopback();
        int streams = Integer.parseInt(args[2]);
        int maxTokens = Integer.parseInt(args[3]);
        CountDownLatch firstChunks = new CountDownLatch(streams);
        for (int i = 0; i < streams; i++) {
            ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
            GenerateRequest request = GenerateRequest.newBuilder().setPrompt("Once upon a time, client " + i)
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setIgnoreEos(true)).build();
            MoeMeshGrpc.newStub(channel).withCallCredentials(key).generate(request, new StreamObserver<>() {
                private boolean first = true;

                @Override
                public void onNext(GenerateResponse response) {
                    if (first) {
                        first = false;
                        firstChunks.countDown();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    System.out.println("FAILED " + t);
                }

                @Override
                public void onCompleted() {
                    System.out.println("COMPLETED before the kill: raise max tokens");
                }
            });
        }
        firstChunks.await();
        System.out.println("STREAMING");
        System.out.flush();
        new CountDownLatch(1).await(); // until killed
    }
}
