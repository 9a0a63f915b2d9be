package io.moemesh.client;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A MoeMesh server whose answers a test scripts; it records what it received. */
final class FakeMoeMesh extends MoeMeshGrpc.MoeMeshImplBase implements ServerInterceptor {

    /** What the server does with one Generate call. */
    interface Script {
        void run(GenerateRequest request, ServerCallStreamObserver<GenerateResponse> responses);
    }

    final List<GenerateRequest> requests = new CopyOnWriteArrayList<>();
    final List<Metadata> headers = new CopyOnWriteArrayList<>();
    final List<Deadline> deadlines = new CopyOnWriteArrayList<>();
    final CountDownLatch cancelled = new CountDownLatch(1);
    volatile Script script = (request, responses) -> responses.onCompleted();
    volatile ListModelsResponse models = ListModelsResponse.getDefaultInstance();

    static GenerateResponse chunk(String text, Integer... tokenIds) {
        return GenerateResponse.newBuilder()
                .setChunk(Chunk.newBuilder().setText(text).addAllTokenIds(List.of(tokenIds))).build();
    }

    static GenerateResponse completion(Completion completion) {
        return GenerateResponse.newBuilder().setCompletion(completion).build();
    }

    static Script failingWith(Status status) {
        return (request, responses) -> responses.onError(status.asRuntimeException());
    }

    static Script streaming(GenerateResponse... events) {
        return (request, responses) -> {
            for (GenerateResponse event : events) {
                responses.onNext(event);
            }
            responses.onCompleted();
        };
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> responses) {
        requests.add(request);
        deadlines.add(Context.current().getDeadline());
        ServerCallStreamObserver<GenerateResponse> call = (ServerCallStreamObserver<GenerateResponse>) responses;
        call.setOnCancelHandler(cancelled::countDown);
        script.run(request, call);
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
        deadlines.add(Context.current().getDeadline());
        responses.onNext(models);
        responses.onCompleted();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
            ServerCallHandler<Q, R> next) {
        headers.add(metadata);
        return next.startCall(call, metadata);
    }
}
