package io.moemesh.placement.round;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The placement that is live, read from what the endpoints describe (level-based: the controller
 * never trusts its memory of what it applied). A service's units are the union over its replicas;
 * a service with no endpoint is taken to host its own expert of every layer, as it would once up.
 */
public record LivePlacement(PlacementPlan plan, List<List<String>> endpoints) {

    public static LivePlacement of(List<EndpointView> views, int numLayers, int numExperts) {
        List<SortedSet<Unit>> hosted = new ArrayList<>(numExperts);
        List<List<String>> targets = new ArrayList<>(numExperts);
        for (int s = 0; s < numExperts; s++) {
            hosted.add(new TreeSet<>());
            targets.add(new ArrayList<>());
        }
        for (EndpointView v : views) {
            if (v.service().isPresent() && v.service().getAsInt() < numExperts) {
                int s = v.service().getAsInt();
                hosted.get(s).addAll(v.hosted());
                targets.get(s).add(v.target());
            }
        }
        for (int s = 0; s < numExperts; s++) {
            if (hosted.get(s).isEmpty()) {
                for (int l = 0; l < numLayers; l++) {
                    hosted.get(s).add(new Unit(l, s));
                }
            }
        }
        List<Integer> replicas = targets.stream().map(t -> Math.max(1, t.size())).toList();
        return new LivePlacement(new PlacementPlan(hosted, replicas),
                targets.stream().map(Collections::unmodifiableList).toList());
    }
}
