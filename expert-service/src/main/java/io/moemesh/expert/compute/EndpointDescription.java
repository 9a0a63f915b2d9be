package io.moemesh.expert.compute;

import io.moemesh.expert.unit.UnitId;
import java.util.List;

/** What this endpoint hosts and how it computes: what the router asks before sending it tokens. */
public record EndpointDescription(String model, List<UnitId> units, int hiddenSize, int intermediateSize,
        String weightDtype, String backend, String endpointId) {

    public EndpointDescription {
        units = List.copyOf(units);
    }
}
