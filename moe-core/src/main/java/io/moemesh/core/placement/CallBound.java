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
 * greedy or not; the cover splits S into parts, one per service, each part hosted by its service.
 * (1) Each service hosts exactly one own unit of layer l, so at most c of S's experts are served by
 * own units and the other {@code k - c} by distinct partner units of layer l on experts of S:
 * {@code k - c <= n_S}. Summed over sets, a partner unit (l, j) then saves at most
 * {@code w_l(j)}, the listed mass of the sets holding j, and a layer given b partner units saves at
 * most the b largest weights, each expert counted at most {@code E - 1} times (one copy per other
 * service). (2) A part of size m holds {@code C(m, 2) >= m - 1} pairs, all co-hosted by its service,
 * and different parts hold different pairs, so {@code k - c} is at most the number of S's pairs some
 * service co-hosts; summed over sets, the saving is at most the listed pair mass (pairs counted
 * within listed sets) of the co-hosted pairs. {@link CaptureBound#maxPairs} bounds how many distinct
 * pairs b partner units can co-host in one layer, so the saving is at most that many heaviest listed
 * pair masses. (3) A service holds at most {@code m = min(E, cap - L + 1)} units of one layer, so
 * {@code c >= ceil(k/m)} and each set saves at most {@code k - ceil(k/m)}. A layer's saving with b
 * partner units is at most the least of (1), (2) and (3). The score charges a layer its listed
 * tokens' mean cover (k where none are listed), {@code k - saving_l / listed_l}; the budget allows
 * {@code min(extra units, E * (cap - L))} partner units in all, and a knapsack over layers (as in
 * {@link CaptureBound}) finds the split that saves most, which no plan beats.
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
        int partnersPerService = Math.min(shape.perServiceUnitCap() - layers, experts - 1);
        int budget = (int) Math.min(shape.extraUnits(), (long) experts * (shape.perServiceUnitCap() - layers));
        double[] best = new double[budget + 1]; // best[b]: most saving (per listed token, summed) with <= b units
        double calls = 0;
        int trafficLayers = 0;
        for (int l = 0; l < layers; l++) {
            if (stats.tokens()[l] == 0) {
                continue;
            }
            trafficLayers++;
            calls += k;
            ExpertSets sets = stats.expertSets()[l];
            long listed = sets.listedTokens();
            if (listed == 0) {
                continue;
            }
            double[] saving = layerSavings(sets, experts, maxSave, partnersPerService, budget);
            double[] next = new double[budget + 1];
            for (int b = 0; b <= budget; b++) {
                double most = 0;
                for (int here = 0, top = Math.min(b, saving.length - 1); here <= top; here++) {
                    most = Math.max(most, best[b - here] + saving[here] / listed);
                }
                next[b] = most;
            }
            best = next;
        }
        if (trafficLayers == 0) {
            return 0;
        }
        return Math.max(1, (calls - best[budget]) / trafficLayers);
    }

    /**
     * {@code saving[b]}: the least of bounds (1), (2) and (3) with b partner units, up to the first b
     * where it stops growing (past it the knapsack only loses by giving the layer more units).
     */
    private static double[] layerSavings(ExpertSets sets, int experts, int maxSave, int partnersPerService,
            int budget) {
        double[] units = prefix(layerMarginals(sets, experts, maxSave, budget));
        double[] pairs = prefix(listedPairMasses(sets, experts));
        double cap = 0;
        for (long c : sets.counts()) {
            cap += (double) c * maxSave;
        }
        double[] out = new double[budget + 1];
        int n = 0;
        for (int b = 0; b <= budget; b++) {
            long p = Math.min(CaptureBound.maxPairs(b, partnersPerService), pairs.length - 1);
            out[n++] = Math.min(cap, Math.min(units[Math.min(b, units.length - 1)], pairs[(int) p]));
            boolean flat = b >= units.length - 1 && p >= pairs.length - 1;
            if (flat || out[n - 1] >= cap) {
                break;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Listed pair masses of the layer, heaviest first: each set adds its count to each of its pairs. */
    private static double[] listedPairMasses(ExpertSets sets, int experts) {
        double[] mass = new double[experts * experts];
        for (int i = 0; i < sets.size(); i++) {
            int[] set = sets.sets()[i];
            for (int a = 0; a < set.length; a++) {
                for (int b = a + 1; b < set.length; b++) {
                    mass[set[a] * experts + set[b]] += sets.counts()[i];
                }
            }
        }
        double[] nonZero = Arrays.stream(mass).filter(m -> m > 0).sorted().toArray();
        for (int i = 0, j = nonZero.length - 1; i < j; i++, j--) {
            double t = nonZero[i];
            nonZero[i] = nonZero[j];
            nonZero[j] = t;
        }
        return nonZero;
    }

    /** {@code out[i]}: sum of the first i values. */
    private static double[] prefix(double[] values) {
        double[] out = new double[values.length + 1];
        for (int i = 0; i < values.length; i++) {
            out[i + 1] = out[i] + values[i];
        }
        return out;
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
