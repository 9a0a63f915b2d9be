package io.moemesh.expert.compute;

import io.moemesh.expert.unit.HostedUnits;
import java.util.List;
import java.util.function.Supplier;

/** Describes this endpoint from its loaded units; the endpoint id is read late (the port may be random). */
public final class DescribeUseCase {

    private final HostedUnits units;
    private final String backend;
    private final Supplier<String> endpointId;

    public DescribeUseCase(HostedUnits units, String backend, Supplier<String> endpointId) {
        this.units = units;
        this.backend = backend;
        this.endpointId = endpointId;
    }

    public EndpointDescription describe() {
        return new EndpointDescription(units.modelName(), List.copyOf(units.units()), units.config().hiddenSize(),
                units.config().intermediateSize(), units.weightDtype(), backend, endpointId.get());
    }
}
