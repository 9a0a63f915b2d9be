package io.moemesh.bench.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * What synthetic (or real) statistics look like, so a reader can judge whether they are
 * realistic: expert-load skew and how concentrated the pair mass is.
 *
 * @param maxMeanExpertLoad    busiest expert's tokens over the mean, averaged over layers
 * @param worstMaxMeanLoad     the same, worst layer
 * @param topPercentPairShare  share of a layer's pair mass in its heaviest 1% of pairs, averaged
 * @param topPercentPairLift   that share over 1% (what it would be if pairs were uniform)
 */
public record RoutingShape(double maxMeanExpertLoad, double worstMaxMeanLoad, double topPercentPairShare,
        double topPercentPairLift) {

    public static RoutingShape of(RoutingStats stats) {
        int experts = stats.numExperts();
        double skew = 0;
        double worst = 0;
        double share = 0;
        for (int l = 0; l < stats.numLayers(); l++) {
            long max = 0;
            long sum = 0;
            for (long n : stats.expertTokens()[l]) {
                max = Math.max(max, n);
                sum += n;
            }
            double layerSkew = max / (sum / (double) experts);
            skew += layerSkew;
            worst = Math.max(worst, layerSkew);
            long[] pairs = new long[experts * (experts - 1) / 2];
            int n = 0;
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    pairs[n++] = stats.coactivation(l, i, j);
                }
            }
            Arrays.sort(pairs);
            int top = Math.max(1, pairs.length / 100);
            double topMass = 0;
            double all = 0;
            for (int p = 0; p < pairs.length; p++) {
                all += pairs[p];
                topMass += p >= pairs.length - top ? pairs[p] : 0;
            }
            share += topMass / all;
        }
        int layers = stats.numLayers();
        return new RoutingShape(skew / layers, worst, share / layers, share / layers / 0.01);
    }
}
