package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;

/**
 * Scores every plan, the planner's and the baselines', with one dispatch model, so they compare.
 *
 * <p>Pair-aware dispatch: a top-2 token whose experts i, j are co-hosted costs one remote call
 * and both experts' work lands on the co-hosting service (split evenly when several host the
 * pair); otherwise it costs two calls and each expert's work goes to the services hosting that
 * expert, split evenly. With one copy of each unit that is exactly "each expert's tokens go to
 * its home service"; the even split is what lets load-only replication (EPLB) balance.
 *
 * <p>Top-k > 2. Pairs no longer decide a token's calls: it needs as many calls as services
 * cover its k experts. With expert sets in the statistics, calls and loads follow
 * {@link ExpertSetScoring} (greedy cover, which for k = 2 is the pair rule above); without them
 * (an older router) calls are estimated from the captured pair share and the score says so
 * ({@link PlanScore.CallModel}).
 */
public final class PlanScorer {

    private PlanScorer() {
    }

    public static PlanScore score(PlacementPlan plan, RoutingStats stats, ClusterShape shape) {
        return score(Hosting.of(plan, shape.numLayers(), shape.numExperts()), stats, shape);
    }

    static PlanScore score(Hosting hosting, RoutingStats stats, ClusterShape shape) {
        int k = stats.topK();
        if (k > 2 && stats.hasExpertSets()) {
            return setScore(hosting, stats, shape, k);
        }
        return pairScore(hosting, stats, shape, k);
    }

    /** Calls from expert sets, loads from their covers; the pair fraction as ever. */
    private static PlanScore setScore(Hosting hosting, RoutingStats stats, ClusterShape shape, int k) {
        GreedyCover cover = new GreedyCover(hosting.services(), ExpertSetScoring.maxK(stats));
        double calls = 0;
        int trafficLayers = 0;
        long tokens = 0;
        long listed = 0;
        for (int l = 0; l < stats.numLayers(); l++) {
            if (stats.tokens()[l] > 0) {
                long layerListed = stats.expertSets()[l].listedTokens();
                calls += layerListed == 0 ? k : ExpertSetScoring.listedCalls(hosting, stats, l, cover) / layerListed;
                trafficLayers++;
                tokens += stats.tokens()[l];
                listed += layerListed;
            }
        }
        PlanScore pairs = pairScore(hosting, stats, shape, k);
        return new PlanScore(trafficLayers == 0 ? 0 : calls / trafficLayers,
                calls * 2.0 * shape.hiddenSize() * Float.BYTES, pairs.memoryRatio(),
                maxOverMean(ExpertSetScoring.loads(hosting, stats)), pairs.capturedPairFraction(),
                PlanScore.CallModel.EXPERT_SETS, tokens == 0 ? 1 : listed / (double) tokens);
    }

    private static PlanScore pairScore(Hosting hosting, RoutingStats stats, ClusterShape shape, int k) {
        int layers = stats.numLayers();
        int experts = stats.numExperts();
        double calls = 0;
        double totalCalls = 0;
        int trafficLayers = 0;
        double fraction = 0;
        int pairLayers = 0;
        for (int l = 0; l < layers; l++) {
            int[][] coHosted = hosting.coHostCounts(l);
            double all = 0;
            double captured = 0;
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    long c = stats.coactivation(l, i, j);
                    all += c;
                    captured += coHosted[i][j] > 0 ? c : 0;
                }
            }
            if (stats.tokens()[l] > 0) {
                double layerCalls = k <= 2 ? (2 * all - captured) / stats.tokens()[l]
                        : k - (k - 1) * (all == 0 ? 0 : captured / all);
                calls += layerCalls;
                totalCalls += layerCalls;
                trafficLayers++;
            }
            if (all > 0) {
                fraction += captured / all;
                pairLayers++;
            }
        }
        return new PlanScore(
                trafficLayers == 0 ? 0 : calls / trafficLayers,
                totalCalls * 2.0 * shape.hiddenSize() * Float.BYTES,
                hosting.totalUnits() / (double) shape.baseUnits(),
                maxOverMean(loads(hosting, stats)),
                pairLayers == 0 ? 0 : fraction / pairLayers,
                k <= 2 ? PlanScore.CallModel.PAIRS : PlanScore.CallModel.PAIR_ESTIMATE, 1);
    }

    /** Token-units each service serves under pair-aware dispatch, summed over layers. */
    static double[] loads(Hosting hosting, RoutingStats stats) {
        int experts = stats.numExperts();
        double[] load = new double[hosting.services()];
        for (int l = 0; l < stats.numLayers(); l++) {
            int[][] coHosted = hosting.coHostCounts(l);
            double[] covered = new double[experts];
            for (int s = 0; s < load.length; s++) {
                for (int i = 0; i < experts; i++) {
                    for (int j = i + 1; hosting.hosts(s, l, i) && j < experts; j++) {
                        if (hosting.hosts(s, l, j)) {
                            load[s] += 2.0 * stats.coactivation(l, i, j) / coHosted[i][j];
                        }
                    }
                }
            }
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    if (coHosted[i][j] > 0) {
                        covered[i] += stats.coactivation(l, i, j);
                        covered[j] += stats.coactivation(l, i, j);
                    }
                }
            }
            for (int e = 0; e < experts; e++) {
                double rest = Math.max(0, stats.expertTokens()[l][e] - covered[e]);
                int copies = 0;
                for (int s = 0; s < load.length; s++) {
                    copies += hosting.hosts(s, l, e) ? 1 : 0;
                }
                for (int s = 0; copies > 0 && s < load.length; s++) {
                    load[s] += hosting.hosts(s, l, e) ? rest / copies : 0;
                }
            }
        }
        return load;
    }

    static double maxOverMean(double[] load) {
        double max = 0;
        double sum = 0;
        for (double x : load) {
            max = Math.max(max, x);
            sum += x;
        }
        return sum == 0 ? 1 : max / (sum / load.length);
    }
}
