package io.moemesh.expert.compute;

import io.moemesh.expert.unit.UnitId;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * What this endpoint hosts and how it computes: what the router asks before sending it tokens, and
 * what the placement controller re-plans from.
 *
 * @param service       the one base expert, when the endpoint was configured with exactly one
 * @param baseUnits     always hosted: the configured experts of every layer
 * @param partnerUnits  hosted because the placement plan asked (or {@code extra-units} at start-up)
 * @param retiringUnits former partners still computed until they are released; not for new routing
 */
public record EndpointDescription(String model, int hiddenSize, int intermediateSize, String weightDtype,
        String backend, String endpointId, OptionalInt service, List<UnitId> baseUnits, List<UnitId> partnerUnits,
        List<UnitId> retiringUnits) {

    public EndpointDescription {
        baseUnits = List.copyOf(baseUnits);
        partnerUnits = List.copyOf(partnerUnits);
        retiringUnits = List.copyOf(retiringUnits);
    }

    /** Base and partner units, sorted by layer then expert: where a router may send tokens. */
    public List<UnitId> units() {
        return Stream.concat(baseUnits.stream(), partnerUnits.stream()).sorted().toList();
    }
}
