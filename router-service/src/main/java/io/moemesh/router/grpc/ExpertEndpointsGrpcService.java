package io.moemesh.router.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.moemesh.core.model.PrunedExperts;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.RefreshExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.SetPrunedExpertsRequest;
import io.moemesh.router.batching.LivePruning;
import io.moemesh.router.batching.PruningDrainTimeoutException;
import io.moemesh.router.dispatch.ExpertEndpoints;
import io.moemesh.router.dispatch.IncompatibleEndpointException;
import io.moemesh.router.dispatch.TopologyDrainTimeoutException;
import java.util.Optional;

/**
 * Serves the router's expert endpoints and what each hosts, switches the router to what they host now
 * (make-before-break re-placement, step 2), and installs the planned pruned set; all called by the
 * placement controller.
 */
public final class ExpertEndpointsGrpcService extends ExpertEndpointsGrpc.ExpertEndpointsImplBase {

    private final Optional<ExpertEndpoints> endpoints;
    private final PruningTarget pruning;

    /**
     * @param endpoints empty when the experts run in the router's process: Get and Refresh are then
     *                  FAILED_PRECONDITION, while SetPrunedExperts works (the mask is applied at the gate)
     * @param pruning   the live pruned set SetPrunedExperts replaces, and the model it is checked against
     */
    public ExpertEndpointsGrpcService(Optional<ExpertEndpoints> endpoints, PruningTarget pruning) {
        this.endpoints = endpoints;
        this.pruning = pruning;
    }

    @Override
    public void getExpertEndpoints(GetExpertEndpointsRequest request, StreamObserver<ExpertEndpointsState> response) {
        if (endpoints.isEmpty()) {
            response.onError(inProcess());
            return;
        }
        response.onNext(withPruned(toProto(endpoints.get().state()), pruning.live().current()));
        response.onCompleted();
    }

    /**
     * Replaces the pruned set; replies once every forward step that started on the previous set has
     * finished. A set that does not fit the model is INVALID_ARGUMENT, and nothing changes.
     */
    @Override
    public void setPrunedExperts(SetPrunedExpertsRequest request, StreamObserver<ExpertEndpointsState> response) {
        PrunedExperts set;
        try {
            set = pruning.toPrunedExperts(request.getUnitsList());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()
                    + " (the router keeps its previous pruned set)").asRuntimeException());
            return;
        }
        LivePruning.Installed installed;
        try {
            installed = pruning.live().install(set, request.getReason());
        } catch (PruningDrainTimeoutException e) {
            response.onError(Status.DEADLINE_EXCEEDED.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("interrupted while waiting for forward steps on the"
                    + " previous pruned set; the new set is installed").asRuntimeException());
            return;
        }
        ExpertEndpointsState base = endpoints.map(e -> toProto(e.state()))
                .orElseGet(ExpertEndpointsState::getDefaultInstance); // in process: no endpoints to list
        response.onNext(withPruned(base, installed));
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
        response.onNext(withPruned(toProto(state), pruning.live().current()));
        response.onCompleted();
    }

    private static RuntimeException inProcess() {
        return Status.FAILED_PRECONDITION.withDescription("this router runs its experts in process"
                + " (moemesh.router.discovery is static and moemesh.router.experts is empty): it has no expert endpoints"
                + " to describe or refresh (SetPrunedExperts works in process)")
                .asRuntimeException();
    }

    private static ExpertEndpointsState withPruned(ExpertEndpointsState state, LivePruning.Installed pruned) {
        return state.toBuilder().addAllPruned(PruningTarget.toProto(pruned.experts()))
                .setPrunedReason(pruned.reason()).build();
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
