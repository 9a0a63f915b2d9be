package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * An upper bound on {@link PlanScore#capturedPairFraction()} for any plan that keeps every
 * service's own units (the one-service-per-expert topology) and fits the shape's budget and cap,
 * so an evaluation can say how close the greedy gets.
 *
 * <p>Why it holds. Let service s hold {@code x} partner units of layer l; with its own unit it has
 * {@code x + 1} units of that layer and co-hosts at most {@code C(x+1, 2)} pairs of it. A pair is
 * co-hosted iff some service co-hosts it, so layer l co-hosts at most {@code sum_s C(x_s+1, 2)}
 * distinct pairs. Each {@code x_s <= m = min(cap - numLayers, numExperts - 1)} (the cap across
 * layers only tightens this), and {@code C(x+1, 2)} is convex, so for {@code b_l = sum_s x_s} the
 * sum is largest when services are filled to m one after another:
 * {@code P(b) = floor(b/m) C(m+1,2) + C(b mod m + 1, 2)}, never more than {@code C(E, 2)}.
 * Those pairs carry at most the {@code P(b_l)} heaviest pair masses of the layer. The budget gives
 * {@code sum_l b_l <= B}; a knapsack over layers picks the {@code b_l} that maximise the mean
 * captured share, which no real plan can beat.
 */
public final class CaptureBound {

    private CaptureBound() {
    }

    public static double maxCapturedFraction(RoutingStats stats, ClusterShape shape) {
        CoactivationPlanner.checkShape(stats, shape);
        int experts = shape.numExperts();
        int perService = Math.min(shape.perServiceUnitCap() - shape.numLayers(), experts - 1);
        // The cap bounds a service's partner units over all layers, m bounds them within one layer;
        // capping the total by m * E (an earlier form) wrongly cut the budget when cap - L > E - 1.
        int partnerRoom = (int) Math.min((long) shape.perServiceUnitCap() - shape.numLayers(),
                (long) shape.numLayers() * (experts - 1));
        int budget = (int) Math.min(shape.extraUnits(), (long) partnerRoom * experts);
        double[] best = new double[budget + 1]; // best[b]: sum of layer shares using at most b units
        int pairLayers = 0;
        for (int l = 0; l < shape.numLayers(); l++) {
            double[] top = heaviestPairsPrefix(stats, l);
            double mass = top[top.length - 1];
            if (mass == 0) {
                continue;
            }
            pairLayers++;
            double[] share = layerShares(top, mass, perService, budget);
            double[] next = new double[budget + 1];
            for (int b = 0; b <= budget; b++) {
                double m = 0;
                for (int here = 0, most = Math.min(b, share.length - 1); here <= most; here++) {
                    m = Math.max(m, best[b - here] + share[here]);
                }
                next[b] = m;
            }
            best = next;
        }
        return pairLayers == 0 ? 0 : Math.min(1, best[budget] / pairLayers);
    }

    /**
     * {@code share[here]}: the layer's captured share with {@code here} partner units, up to the
     * first count that already reaches every pair. Past it the share is flat while {@code best} only
     * grows with the units left, so no larger count can win; stopping there keeps the knapsack exact
     * and, at DeepSeek-V3's shape, about halves it.
     */
    private static double[] layerShares(double[] top, double mass, int perService, int budget) {
        int pairs = top.length - 1;
        int most = 0;
        while (most < budget && maxPairs(most, perService) < pairs) {
            most++;
        }
        double[] share = new double[most + 1];
        for (int here = 0; here <= most; here++) {
            share[here] = top[(int) Math.min(maxPairs(here, perService), pairs)] / mass;
        }
        return share;
    }

    /** P(b): most distinct pairs one layer can co-host with b partner units, at most m per service. */
    static long maxPairs(int partnerUnits, int perService) {
        if (perService <= 0) {
            return 0;
        }
        long full = partnerUnits / perService;
        long rest = partnerUnits % perService;
        return full * choose2(perService + 1) + choose2(rest + 1);
    }

    private static long choose2(long n) {
        return n * (n - 1) / 2;
    }

    /** {@code prefix[p]}: mass of the p heaviest pairs of the layer; the last entry is all of it. */
    private static double[] heaviestPairsPrefix(RoutingStats stats, int layer) {
        int experts = stats.numExperts();
        long[] mass = new long[experts * (experts - 1) / 2];
        int n = 0;
        for (int i = 0; i < experts; i++) {
            for (int j = i + 1; j < experts; j++) {
                mass[n++] = stats.coactivation(layer, i, j);
            }
        }
        Arrays.sort(mass);
        double[] prefix = new double[mass.length + 1];
        for (int p = 1; p <= mass.length; p++) {
            prefix[p] = prefix[p - 1] + mass[mass.length - p];
        }
        return prefix;
    }
}
