package io.moemesh.router.grpc;

import io.moemesh.core.model.PrunedExperts;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.router.batching.LivePruning;
import java.util.List;

/**
 * What {@code SetPrunedExperts} changes: the scheduler's live pruned set, and the model shape a set is
 * checked against (the router's MoE layers, experts, and the top-k it routes each token to).
 */
public record PruningTarget(LivePruning live, int numMoeLayers, int numExperts, int topK) {

    /**
     * The proto units as a pruned set of this model.
     *
     * @throws IllegalArgumentException naming a unit outside the model, or a layer left fewer experts than top-k
     */
    PrunedExperts toPrunedExperts(List<PrunedUnit> units) {
        PrunedExperts set = PrunedExperts.of(numMoeLayers, numExperts,
                units.stream().map(u -> new PrunedExperts.Unit(u.getLayer(), u.getExpert())).toList());
        set.requireServable(topK);
        return set;
    }

    static List<PrunedUnit> toProto(PrunedExperts set) {
        return set.units().stream()
                .map(u -> PrunedUnit.newBuilder().setLayer(u.layer()).setExpert(u.expert()).build()).toList();
    }
}
