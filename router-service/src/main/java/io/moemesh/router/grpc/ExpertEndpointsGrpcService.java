package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.RefreshExpertEndpointsRequest;
import io.moemesh.router.dispatch.ExpertEndpoints;
import io.moemesh.router.dispatch.IncompatibleEndpointException;
import io.moemesh.router.dispatch.TopologyDrainTimeoutException;
import java.util.Optional;

/**
 * Serves the router's expert endpoints and what each hosts, and switches the router to what they host
 * now (make-before-break re-placement, step 2, called by the placement controller).
 */
public final class ExpertEndpointsGrpcService extends ExpertEndpointsGrpc.ExpertEndpointsImplBase {

    private final Optional<ExpertEndpoints> endpoints;

    /** @param endpoints empty when the experts run in the router's process: both RPCs are then FAILED_PRECONDITION */
    public ExpertEndpointsGrpcService(Optional<ExpertEndpoints> endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void getExpertEndpoints(GetExpertEndpointsRequest request, StreamObserver<ExpertEndpointsState> response) {
        if (endpoints.isEmpty()) {
            response.onError(inProcess());
            return;
        }
        response.onNext(toProto(endpoints.get().state()));
        response.onCompleted();
    }

    @Override
    public void refreshExpertEndpoints(RefreshExpertEndpointsRequest request,
            StreamObserver<ExpertEndpointsState> response) {
        if (endpoints.isEmpty()) {
            response.onError(inProcess());
            return;
        }
        ExpertEndpoints.State state;
        try {
            state = endpoints.get().refresh();
        } catch (TopologyDrainTimeoutException e) {
            response.onError(Status.DEADLINE_EXCEEDED.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IncompatibleEndpointException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(
                    e.getMessage() + " (the router keeps its previous topology)").asRuntimeException());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("interrupted while waiting for layer steps on the"
                    + " previous topology; the new topology is installed").asRuntimeException());
            return;
        }
        response.onNext(toProto(state));
        response.onCompleted();
    }

    private static RuntimeException inProcess() {
        return Status.FAILED_PRECONDITION.withDescription("this router runs its experts in process"
                + " (moemesh.router.discovery is static and moemesh.router.experts is empty): it has no expert endpoints"
                + " to describe or refresh")
                .asRuntimeException();
    }

    static ExpertEndpointsState toProto(ExpertEndpoints.State state) {
        ExpertEndpointsState.Builder b = ExpertEndpointsState.newBuilder().setTopologyVersion(state.topologyVersion());
        for (ExpertEndpoints.EndpointState e : state.endpoints()) {
            ExpertEndpointState.Builder endpoint = ExpertEndpointState.newBuilder().setTarget(e.endpoint().target())
                    .setAccepting(e.accepting());
            e.description().ifPresent(endpoint::setDescription);
            b.addEndpoints(endpoint);
        }
        return b.build();
    }
}
