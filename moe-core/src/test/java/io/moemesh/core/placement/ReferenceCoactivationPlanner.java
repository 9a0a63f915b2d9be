package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The planner as it was before it became incremental: every round rebuilds every candidate and
 * rescores every load from scratch (O(L * E^3) a round). Kept as the slow, obviously-correct twin
 * that {@link CoactivationPlanner} must match plan for plan.
 */
final class ReferenceCoactivationPlanner {

    /** Slack for comparing loads that went through different summation orders. */
    private static final double LOAD_EPS = 1e-9;

    private record Candidate(double gain, int service, int layer, int expert) {
    }

    private static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparingDouble(Candidate::gain).reversed()
            .thenComparingInt(Candidate::service)
            .thenComparingInt(Candidate::layer)
            .thenComparingInt(Candidate::expert);

    private ReferenceCoactivationPlanner() {
    }

    static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        CoactivationPlanner.checkShape(stats, shape);
        Hosting hosting = Hosting.homes(shape.numLayers(), shape.numExperts());
        double[] baseline = PlanScorer.loads(hosting, stats);
        // Moving a pair's work to one service conserves total work, so the mean is fixed and the
        // balance rule is a cap on the max: within the bound, or no worse than a baseline beyond it.
        double allowedMax = Math.max(shape.balanceBound() * CoactivationPlanner.mean(baseline), CoactivationPlanner.max(baseline)) + LOAD_EPS;
        double[] pairMass = CoactivationPlanner.pairMassPerLayer(stats);
        for (int added = 0; added < shape.extraUnits(); added++) {
            if (!addBest(hosting, stats, shape, pairMass, allowedMax)) {
                break;
            }
        }
        return PlacementPlan.of(hosting, PlanScorer.loads(hosting, stats), shape);
    }

    private static boolean addBest(Hosting hosting, RoutingStats stats, ClusterShape shape,
            double[] pairMass, double allowedMax) {
        List<Candidate> candidates = candidates(hosting, stats, shape, pairMass);
        candidates.sort(BEST_FIRST);
        for (Candidate c : candidates) {
            hosting.add(c.service(), c.layer(), c.expert());
            if (CoactivationPlanner.max(PlanScorer.loads(hosting, stats)) <= allowedMax) {
                return true;
            }
            hosting.remove(c.service(), c.layer(), c.expert());
        }
        return false;
    }

    private static List<Candidate> candidates(Hosting hosting, RoutingStats stats, ClusterShape shape,
            double[] pairMass) {
        int experts = shape.numExperts();
        List<Candidate> out = new ArrayList<>();
        for (int l = 0; l < shape.numLayers(); l++) {
            if (pairMass[l] == 0) {
                continue;
            }
            int[][] coHosted = hosting.coHostCounts(l);
            for (int s = 0; s < experts; s++) {
                if (hosting.unitCount(s) >= shape.perServiceUnitCap()) {
                    continue;
                }
                for (int j = 0; j < experts; j++) {
                    if (hosting.hosts(s, l, j)) {
                        continue;
                    }
                    double mass = 0;
                    for (int k = 0; k < experts; k++) {
                        if (hosting.hosts(s, l, k) && coHosted[j][k] == 0) {
                            mass += stats.coactivation(l, j, k);
                        }
                    }
                    if (mass > 0) {
                        out.add(new Candidate(mass / pairMass[l], s, l, j));
                    }
                }
            }
        }
        return out;
    }
}
