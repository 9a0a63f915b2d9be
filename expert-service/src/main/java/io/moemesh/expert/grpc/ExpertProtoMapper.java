package io.moemesh.expert.grpc;

import io.moemesh.expert.compute.ComputeCommand;
import io.moemesh.expert.compute.ComputeException;
import io.moemesh.expert.compute.EndpointDescription;
import io.moemesh.expert.compute.RePlacementException;
import io.moemesh.expert.compute.TokenRoute;
import io.moemesh.expert.unit.UnitId;
import io.moemesh.proto.codec.WireTensors;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.proto.internal.v1.Unit;
import java.util.ArrayList;
import java.util.List;

/** Protobuf ↔ domain at the edge; every problem with a request becomes INVALID_ARGUMENT naming the field. */
final class ExpertProtoMapper {

    private ExpertProtoMapper() {
    }

    static ComputeCommand toCommand(ComputeRequest request, int hiddenSize, long deadlineNanos) {
        int tokens = request.getRoutesCount();
        if (tokens == 0) {
            throw ComputeException.invalidArgument("request has no tokens: routes is empty; send one route per row "
                    + "of hidden (hidden has shape " + request.getHidden().getShapeList() + ")");
        }
        List<TokenRoute> routes = new ArrayList<>(tokens);
        for (int t = 0; t < tokens; t++) {
            routes.add(toRoute(request.getRoutes(t)));
        }
        if (!request.hasHidden()) {
            throw ComputeException.invalidArgument("hidden is missing; send the [tokens, hidden_size] activations");
        }
        float[] hidden;
        try {
            hidden = WireTensors.decode(request.getHidden(), "hidden", tokens, hiddenSize);
        } catch (WireTensors.InvalidTensorException e) {
            throw ComputeException.invalidArgument(e.getMessage());
        }
        return new ComputeCommand(request.getRequestId(), request.getLayer(), hidden, routes, deadlineNanos);
    }

    private static TokenRoute toRoute(io.moemesh.proto.internal.v1.TokenRoute route) {
        int[] experts = new int[route.getExpertsCount()];
        for (int j = 0; j < experts.length; j++) {
            experts[j] = route.getExperts(j);
        }
        float[] weights = new float[route.getWeightsCount()];
        for (int j = 0; j < weights.length; j++) {
            weights[j] = route.getWeights(j);
        }
        return new TokenRoute(experts, weights, route.getPerUnitOutputs());
    }

    /** {@code output} holds {@code rows × hiddenSize} values: per token one row, or one per pair (per-unit outputs). */
    static ComputeResponse toResponse(float[] output, int hiddenSize, long serverNanos) {
        return toResponseBuilder(output, hiddenSize, serverNanos).build();
    }

    static ComputeResponse.Builder toResponseBuilder(float[] output, int hiddenSize, long serverNanos) {
        return ComputeResponse.newBuilder()
                .setOutput(WireTensors.encode(output, output.length / hiddenSize, hiddenSize, DType.DTYPE_F32))
                .setServerNanos(serverNanos);
    }

    static DescribeResponse toResponse(EndpointDescription description) {
        DescribeResponse.Builder response = DescribeResponse.newBuilder()
                .setModel(description.model())
                .setHiddenSize(description.hiddenSize())
                .setIntermediateSize(description.intermediateSize())
                .setWeightDtype(description.weightDtype())
                .setBackend(description.backend())
                .setEndpointId(description.endpointId());
        description.service().ifPresent(response::setService);
        description.units().forEach(unit -> response.addUnits(toUnit(unit)));
        description.baseUnits().forEach(unit -> response.addBaseUnits(toUnit(unit)));
        description.partnerUnits().forEach(unit -> response.addPartnerUnits(toUnit(unit)));
        description.retiringUnits().forEach(unit -> response.addRetiringUnits(toUnit(unit)));
        return response.build();
    }

    /** The requested partner units in request order; checked against the model by the use case. */
    static List<UnitId> toPartnerUnits(SetPartnerUnitsRequest request) {
        List<UnitId> units = new ArrayList<>(request.getPartnerUnitsCount());
        for (int i = 0; i < request.getPartnerUnitsCount(); i++) {
            Unit unit = request.getPartnerUnits(i);
            if (unit.getLayer() < 0 || unit.getExpert() < 0) {
                throw RePlacementException.invalidArgument("partner_units[" + i + "] has layer " + unit.getLayer()
                        + " and expert " + unit.getExpert() + "; layers and experts are >= 0");
            }
            units.add(new UnitId(unit.getLayer(), unit.getExpert()));
        }
        return units;
    }

    private static Unit toUnit(UnitId unit) {
        return Unit.newBuilder().setLayer(unit.layer()).setExpert(unit.expert()).build();
    }
}
