package io.moemesh.placement.grpc;

import io.grpc.stub.StreamObserver;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.proto.internal.v1.GetPlacementRequest;
import io.moemesh.proto.internal.v1.PlacementControllerGrpc;
import io.moemesh.proto.internal.v1.PlacementStatus;

/** Serves the controller's current placement, statistics and last decision ({@code moe plan} reads it). */
public final class PlacementGrpcService extends PlacementControllerGrpc.PlacementControllerImplBase {

    private final PlacementLoop loop;

    public PlacementGrpcService(PlacementLoop loop) {
        this.loop = loop;
    }

    @Override
    public void getPlacement(GetPlacementRequest request, StreamObserver<PlacementStatus> response) {
        response.onNext(StatusMapper.toProto(loop.state(), loop.round().settings()));
        response.onCompleted();
    }
}
