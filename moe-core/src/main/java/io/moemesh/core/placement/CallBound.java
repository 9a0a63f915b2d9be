package io.moemesh.core.placement;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * A lower bound on {@link PlanScore#remoteCallsPerToken()} as {@link PlanScorer} counts it from
 * expert sets (top-k > 2), for any plan that keeps every service's own units and fits the shape's
 * budget and cap: how close the greedy gets, and how much any placement could win.
 *
 * <p>Why it holds. Take a listed set S of layer l (k experts) and any cover of it by c services,
 * greedy or not. Each service hosts exactly one own unit of layer l, so at most c of S's experts
 * are served by own units and the other {@code k - c} by distinct partner units of layer l whose
 * expert is in S: {@code k - c <= n_S}, the partner units of layer l on experts of S. A service
 * holds at most {@code m = min(E, cap - L + 1)} units of one layer, so also {@code c >= ceil(k/m)}.
 * The calls S saves against k are therefore at most {@code min(n_S, k - ceil(k/m))}, and layer l
 * saves at most {@code sum_S count_S * min(n_S, k - ceil(k/m))}. Summing {@code n_S} over the sets
 * counts each partner unit (l, j) once per set holding j, so the layer's saving is also at most
 * the sum, over its partner units, of {@code w_l(j) = sum over listed S holding j of count_S}.
 * Hence saving_l(b) <= min(sum of the b largest weights, the cap above), where each expert may
 * appear at most {@code E - 1} times (one partner copy per other service), a concave function of
 * the partner units b the layer gets. The score charges a layer its listed tokens' mean cover (k
 * where none are listed), so its calls are {@code k - saving_l / listed_l}. The budget allows
 * {@code min(extra units, E * (cap - L))} partner units in all; with concave per-layer savings
 * (scaled by 1 / listed tokens, as the score averages per layer), taking the largest marginal savings
 * over all layers is the best split, and no plan saves more.
 */
public final class CallBound {

    private CallBound() {
    }

    /**
     * @throws IllegalArgumentException if the statistics list no expert sets
     */
    public static double minCallsPerToken(RoutingStats stats, ClusterShape shape) {
        CoactivationPlanner.checkShape(stats, shape);
        if (!stats.hasExpertSets()) {
            throw new IllegalArgumentException("the call bound needs expert sets in the routing statistics");
        }
        int k = stats.topK();
        int experts = shape.numExperts();
        int layers = shape.numLayers();
        int perLayer = Math.min(experts, shape.perServiceUnitCap() - layers + 1);
        int maxSave = k - (k + perLayer - 1) / perLayer;
        long budget = Math.min(shape.extraUnits(), (long) experts * (shape.perServiceUnitCap() - layers));
        double[] marginals = new double[0];
        int n = 0;
        double calls = 0;
        int trafficLayers = 0;
        for (int l = 0; l < layers; l++) {
            long tokens = stats.tokens()[l];
            if (tokens == 0) {
                continue;
            }
            trafficLayers++;
            calls += k;
            long listed = stats.expertSets()[l].listedTokens();
            double[] layer = listed == 0 ? new double[0]
                    : layerMarginals(stats.expertSets()[l], experts, maxSave, budget);
            if (n + layer.length > marginals.length) {
                marginals = Arrays.copyOf(marginals, Math.max(2 * marginals.length, n + layer.length));
            }
            for (double m : layer) {
                marginals[n++] = m / listed;
            }
        }
        if (trafficLayers == 0) {
            return 0;
        }
        Arrays.sort(marginals, 0, n);
        double saved = 0;
        for (int i = n - 1; i >= Math.max(0, n - budget); i--) {
            saved += marginals[i];
        }
        return Math.max(1, (calls - saved) / trafficLayers);
    }

    /** The layer's saving per extra partner unit, falling, until the cap or the budget stops it. */
    private static double[] layerMarginals(ExpertSets sets, int experts, int maxSave, long budget) {
        double[] weight = new double[experts];
        double cap = 0;
        for (int i = 0; i < sets.size(); i++) {
            for (int e : sets.sets()[i]) {
                weight[e] += sets.counts()[i];
            }
            cap += (double) sets.counts()[i] * maxSave;
        }
        Arrays.sort(weight);
        int most = (int) Math.min(budget, (long) experts * (experts - 1));
        double[] out = new double[most];
        int n = 0;
        double sum = 0;
        for (int e = experts - 1; e >= 0 && n < most && sum < cap && weight[e] > 0; e--) {
            for (int copy = 0; copy < experts - 1 && n < most && sum < cap; copy++) {
                double m = Math.min(weight[e], cap - sum);
                out[n++] = m;
                sum += m;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
