package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Greedy co-location: starting from one service per expert, repeatedly add the partner unit that
 * co-hosts the most not-yet-co-hosted pair mass, until the memory budget is spent or no addition
 * fits the per-service cap and the balance bound.
 *
 * <p>Adding (l, j) to service s co-hosts pair (s, j) at layer l and pairs (j, k) for every
 * partner (l, k) already on s. Every addition costs one unit, so "mass per unit of memory" is
 * the mass itself; mass is taken as a share of the layer's pair mass because the score averages
 * calls over layers. Ties go to the lowest (service, layer, expert), so the plan depends only on
 * the input.
 */
public final class CoactivationPlanner {

    /** Slack for comparing loads that went through different summation orders. */
    private static final double LOAD_EPS = 1e-9;

    private record Candidate(double gain, int service, int layer, int expert) {
    }

    private static final Comparator<Candidate> BEST_FIRST = Comparator
            .comparingDouble(Candidate::gain).reversed()
            .thenComparingInt(Candidate::service)
            .thenComparingInt(Candidate::layer)
            .thenComparingInt(Candidate::expert);

    private CoactivationPlanner() {
    }

    public static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        checkShape(stats, shape);
        Hosting hosting = Hosting.homes(shape.numLayers(), shape.numExperts());
        double[] baseline = PlanScorer.loads(hosting, stats);
        // Moving a pair's work to one service conserves total work, so the mean is fixed and the
        // balance rule is a cap on the max: within the bound, or no worse than a baseline beyond it.
        double allowedMax = Math.max(shape.balanceBound() * mean(baseline), max(baseline)) + LOAD_EPS;
        double[] pairMass = pairMassPerLayer(stats);
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
            if (max(PlanScorer.loads(hosting, stats)) <= allowedMax) {
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

    static double[] pairMassPerLayer(RoutingStats stats) {
        double[] mass = new double[stats.numLayers()];
        for (int l = 0; l < mass.length; l++) {
            for (int i = 0; i < stats.numExperts(); i++) {
                for (int j = i + 1; j < stats.numExperts(); j++) {
                    mass[l] += stats.coactivation(l, i, j);
                }
            }
        }
        return mass;
    }

    static void checkShape(RoutingStats stats, ClusterShape shape) {
        if (stats.numLayers() != shape.numLayers() || stats.numExperts() != shape.numExperts()) {
            throw new IllegalArgumentException("routing stats cover " + stats.numLayers() + " layers x "
                    + stats.numExperts() + " experts but the cluster shape is " + shape.numLayers()
                    + " x " + shape.numExperts());
        }
    }

    static double max(double[] xs) {
        double m = 0;
        for (double x : xs) {
            m = Math.max(m, x);
        }
        return m;
    }

    static double mean(double[] xs) {
        double sum = 0;
        for (double x : xs) {
            sum += x;
        }
        return sum / xs.length;
    }
}
