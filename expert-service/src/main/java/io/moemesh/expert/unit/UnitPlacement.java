package io.moemesh.expert.unit;

import io.moemesh.core.config.ModelConfig;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which units an endpoint hosts: the chosen experts of every layer ("one service per expert"),
 * plus the partner units the placement controller asked for.
 */
public record UnitPlacement(List<Integer> experts, List<UnitId> extraUnits) {

    public UnitPlacement {
        experts = List.copyOf(experts);
        extraUnits = List.copyOf(extraUnits);
        if (experts.isEmpty() && extraUnits.isEmpty()) {
            throw new IllegalArgumentException("no unit to host: set moemesh.expert.experts (e.g. 3) "
                    + "and/or moemesh.expert.extra-units (e.g. 7:0,7:1)");
        }
    }

    /** The chosen experts of every layer, checked against the model; sorted by layer, then expert. */
    public SortedSet<UnitId> baseUnits(ModelConfig model) {
        SortedSet<UnitId> units = new TreeSet<>();
        for (int expert : experts) {
            requireExpert(expert, model, "moemesh.expert.experts contains " + expert);
            for (int layer = 0; layer < model.numMoeLayers(); layer++) {
                units.add(new UnitId(layer, expert));
            }
        }
        return Collections.unmodifiableSortedSet(units);
    }

    /**
     * The extra units, checked against the model, less any that is a base unit anyway. They are the
     * endpoint's first partner units: a later plan may replace them.
     */
    public SortedSet<UnitId> partnerUnits(ModelConfig model) {
        SortedSet<UnitId> base = baseUnits(model);
        SortedSet<UnitId> units = new TreeSet<>();
        for (UnitId unit : extraUnits) {
            String what = "moemesh.expert.extra-units contains " + unit.expert() + ":" + unit.layer();
            requireExpert(unit.expert(), model, what);
            if (unit.layer() >= model.numLayers()) {
                throw new IllegalArgumentException(what + " but the model has " + model.numLayers()
                        + " layers (0.." + (model.numLayers() - 1) + ")");
            }
            if (!base.contains(unit)) {
                units.add(unit);
            }
        }
        return Collections.unmodifiableSortedSet(units);
    }

    private static void requireExpert(int expert, ModelConfig model, String what) {
        if (expert < 0 || expert >= model.numExperts()) {
            throw new IllegalArgumentException(what + " but the model has " + model.numExperts()
                    + " experts (0.." + (model.numExperts() - 1) + ")");
        }
    }
}
