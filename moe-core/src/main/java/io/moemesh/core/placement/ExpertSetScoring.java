package io.moemesh.core.placement;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;

/**
 * {@link PlanScorer}'s dispatch model for top-k > 2 from expert sets: a listed set's tokens go to
 * the services of its greedy cover ({@link GreedyCover}), each of its experts computed on the
 * service the cover assigned it to, and the listed sets stand for the layer's traffic: a layer's
 * calls per token are its listed tokens' mean cover. (At top-8 most sets are rare, and a bounded
 * Space-Saving list holds the heavy sets plus the latest arrivals, about a sample of the rest;
 * charging each unlisted token k calls instead would score 7.8 calls where held-out tokens take 2.1,
 * see docs/placement.md.) For load, the tokens of each expert that no listed set accounts for are
 * split evenly over the expert's hosts, as the router's least-loaded choice among replicas does.
 */
final class ExpertSetScoring {

    private ExpertSetScoring() {
    }

    /** Calls summed over the layer's listed tokens, each set by its cover. */
    static double listedCalls(Hosting hosting, RoutingStats stats, int layer, GreedyCover cover) {
        ExpertSets sets = stats.expertSets()[layer];
        double calls = 0;
        for (int i = 0; i < sets.size(); i++) {
            calls += sets.counts()[i] * (double) cover.cover(sets.sets()[i], e -> hosting.hostsOf(layer, e), null);
        }
        return calls;
    }

    /** Token-units each service serves, summed over layers. */
    static double[] loads(Hosting hosting, RoutingStats stats) {
        int experts = stats.numExperts();
        double[] load = new double[hosting.services()];
        GreedyCover cover = new GreedyCover(hosting.services(), maxK(stats));
        for (int l = 0; l < stats.numLayers(); l++) {
            int layer = l;
            ExpertSets sets = stats.expertSets()[l];
            double[] rest = new double[experts];
            for (int e = 0; e < experts; e++) {
                rest[e] = stats.expertTokens()[l][e];
            }
            for (int i = 0; i < sets.size(); i++) {
                int[] set = sets.sets()[i];
                int[] to = new int[set.length];
                cover.cover(set, e -> hosting.hostsOf(layer, e), to);
                for (int a = 0; a < set.length; a++) {
                    load[to[a]] += sets.counts()[i];
                    rest[set[a]] -= sets.counts()[i];
                }
            }
            for (int e = 0; e < experts; e++) {
                int[] hosts = hosting.hostsOf(l, e);
                for (int s : hosts) {
                    load[s] += Math.max(0, rest[e]) / hosts.length;
                }
            }
        }
        return load;
    }

    static int maxK(RoutingStats stats) {
        int k = Math.max(1, stats.topK());
        for (ExpertSets sets : stats.expertSets()) {
            for (int[] set : sets.sets()) {
                k = Math.max(k, set.length);
            }
        }
        return k;
    }
}
