package io.moemesh.gateway;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.v1.Chunk;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A router double: answers Generate as a test scripts it and records what arrived. */
public final class FakeRouter extends MoeMeshGrpc.MoeMeshImplBase {

    /** What the router does with one Generate call. */
    public interface Script {
        void run(GenerateRequest request, ServerCallStreamObserver<GenerateResponse> responses);
    }

    public final String name;
    public final List<GenerateRequest> requests = new CopyOnWriteArrayList<>();
    public final List<Deadline> deadlines = new CopyOnWriteArrayList<>();
    /** The headers of every call, Generate and ListModels. */
    public final List<Metadata> headers = new CopyOnWriteArrayList<>();
    public final CountDownLatch cancelled = new CountDownLatch(1);
    public volatile Script script = echo(3);
    /** What ListModels answers; by default a model named {@code model-of-<name>}. */
    public volatile ModelInfo model;

    public FakeRouter(String name) {
        this.name = name;
    }

    /** This router's service, recording each call's headers in {@link #headers}. */
    public ServerServiceDefinition recordingHeaders() {
        return ServerInterceptors.intercept(this, new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
                    ServerCallHandler<Q, R> next) {
                headers.add(metadata);
                return next.startCall(call, metadata);
            }
        });
    }

    /** Streams {@code chunks} chunks "t0", "t1", … with token ids 0, 1, …, then a completion echoing the request id. */
    public static Script echo(int chunks) {
        return (request, responses) -> {
            for (int i = 0; i < chunks; i++) {
                responses.onNext(chunk(i));
            }
            responses.onNext(completion(request));
            responses.onCompleted();
        };
    }

    public static Script failing(Status status) {
        return (request, responses) -> responses.onError(status.asRuntimeException());
    }

    /** Never answers: the call stays open until cancelled or past its deadline. */
    public static Script hanging() {
        return (request, responses) -> { };
    }

    public static GenerateResponse chunk(int i) {
        return GenerateResponse.newBuilder().setChunk(Chunk.newBuilder().addTokenIds(i).setText("t" + i)).build();
    }

    static GenerateResponse completion(GenerateRequest request) {
        return GenerateResponse.newBuilder().setCompletion(Completion.newBuilder().setRequestId(request.getRequestId()))
                .build();
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
        ModelInfo listed = model != null ? model : ModelInfo.newBuilder().setName("model-of-" + name).build();
        responses.onNext(ListModelsResponse.newBuilder().addModels(listed).build());
        responses.onCompleted();
    }
}
