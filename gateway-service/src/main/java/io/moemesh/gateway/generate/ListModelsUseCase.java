package io.moemesh.gateway.generate;

import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.moemesh.gateway.access.Caller;
import io.moemesh.gateway.routing.RouterCall;
import io.moemesh.gateway.routing.RouterForwarder;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.util.UUID;

/** ListModels: every router serves the same models, so any router answers for the deployment. */
public final class ListModelsUseCase {

    private final CallDeadlines deadlines;
    private final RouterForwarder forwarder;

    public ListModelsUseCase(CallDeadlines deadlines, RouterForwarder forwarder) {
        this.deadlines = deadlines;
        this.forwarder = forwarder;
    }

    public void listModels(Caller caller, Deadline callerDeadline, ServerCallStreamObserver<ListModelsResponse> responses) {
        forwarder.forward(MoeMeshGrpc.getListModelsMethod(), ListModelsRequest.getDefaultInstance(),
                new RouterCall(deadlines.forCaller(callerDeadline), caller.id(), UUID.randomUUID().toString()),
                responses);
    }
}
