package io.moemesh.expert.compute;

import io.moemesh.expert.unit.HostedUnits;
import io.moemesh.expert.unit.UnitRoster;
import java.util.List;
import java.util.function.Supplier;

/** Describes this endpoint from its hosted units; the endpoint id is read late (the port may be random). */
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
        return describe(units.roster());
    }

    /** Describes {@code roster}, e.g. the one a re-placement just published. */
    EndpointDescription describe(UnitRoster roster) {
        return new EndpointDescription(units.modelName(), units.config().hiddenSize(),
                units.config().intermediateSize(), units.weightDtype(), backend, endpointId.get(), units.service(),
                List.copyOf(roster.base()), List.copyOf(roster.partners()), List.copyOf(roster.retiring()));
    }
}
