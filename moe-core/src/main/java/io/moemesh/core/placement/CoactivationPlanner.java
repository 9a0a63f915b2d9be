package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;

/**
 * Greedy co-location: starting from one service per expert, repeatedly add the partner unit that
 * co-hosts the most not-yet-co-hosted pair mass, until the memory budget is spent or no addition
 * fits the per-service cap and the balance bound.
 *
 * <p>Ties go to the lowest (service, layer, expert), so the plan depends only on the input. The run
 * itself, and why it is incremental, is {@link PairGreedy}; it gives the plan a full rebuild per addition
 * gives, which {@code CoactivationPlannerEquivalenceTest} checks.
 */
public final class CoactivationPlanner {

    /** Slack for comparing loads that went through different summation orders. */
    private static final double LOAD_EPS = 1e-9;

    private CoactivationPlanner() {
    }

    /**
     * Plans from pairs for top-1 and top-2; for top-k > 2 with expert sets in the statistics,
     * from those ({@link ExpertSetPlanner}), since pairs do not decide a token's calls there.
     * Top-k > 2 without expert sets (an older router) falls back to the pair greedy.
     */
    public static PlacementPlan plan(RoutingStats stats, ClusterShape shape) {
        checkShape(stats, shape);
        if (stats.topK() > 2 && stats.hasExpertSets()) {
            return ExpertSetPlanner.plan(stats, shape);
        }
        PlanWorkspace work = new PlanWorkspace(stats, Hosting.homes(shape.numLayers(), shape.numExperts()));
        double[] baseline = work.loads();
        // Moving a pair's work to one service conserves total work, so the mean is fixed and the
        // balance rule is a cap on the max: within the bound, or no worse than a baseline beyond it.
        double allowedMax = Math.max(shape.balanceBound() * mean(baseline), max(baseline)) + LOAD_EPS;
        new PairGreedy(work, shape, pairMassPerLayer(stats), allowedMax).run();
        return PlacementPlan.of(work.hosting(), PlanScorer.loads(work.hosting(), stats), shape);
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
        if (stats.hasExpertSets()) {
            if (stats.expertSets().length != stats.numLayers()) {
                throw new IllegalArgumentException("routing stats list expert sets for " + stats.expertSets().length
                        + " layers but cover " + stats.numLayers());
            }
            for (var sets : stats.expertSets()) {
                for (int[] set : sets.sets()) {
                    for (int e : set) {
                        if (e < 0 || e >= stats.numExperts()) {
                            throw new IllegalArgumentException("an expert set names expert " + e + " of a model with "
                                    + stats.numExperts() + " experts");
                        }
                    }
                }
            }
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
