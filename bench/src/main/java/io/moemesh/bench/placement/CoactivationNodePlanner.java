package io.moemesh.bench.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * Groups each layer's experts onto nodes by pair mass, so a token's experts span few nodes,
 * under a balance bound on node load: the node-level analogue of the co-activation planner.
 *
 * <p>Per layer: experts in descending load are placed one by one on the node (with a free GPU)
 * holding the most pair mass with them, among nodes that stay within {@code balance} x the mean
 * node load (an expert with no affinity anywhere goes to the lightest node, which spreads the hot
 * ones). Then passes of pairwise swaps keep any swap that raises intra-node pair mass and keeps
 * both nodes within the bound: a Kernighan-Lin-style refinement without the lookahead.
 */
public final class CoactivationNodePlanner {

    private CoactivationNodePlanner() {
    }

    public static int[][] assign(RoutingStats stats, int nodes, double balance, int swapPasses) {
        int[][] nodeOf = new int[stats.numLayers()][];
        for (int l = 0; l < stats.numLayers(); l++) {
            nodeOf[l] = assignLayer(stats, l, nodes, balance, swapPasses);
        }
        return nodeOf;
    }

    static int[] assignLayer(RoutingStats stats, int layer, int nodes, double balance, int swapPasses) {
        int experts = stats.numExperts();
        int slots = experts / nodes;
        long[] w = stats.expertTokens()[layer];
        double total = Arrays.stream(w).sum();
        double cap = balance * total / nodes;
        Integer[] order = new Integer[experts];
        Arrays.setAll(order, e -> e);
        Arrays.sort(order, (a, b) -> w[a] != w[b] ? Long.compare(w[b], w[a]) : Integer.compare(a, b));
        int[] nodeOf = new int[experts];
        Arrays.fill(nodeOf, -1);
        double[] load = new double[nodes];
        int[] used = new int[nodes];
        double[][] aff = new double[experts][nodes]; // pair mass of expert with each node's experts
        for (int e : order) {
            int best = -1;
            for (int n = 0; n < nodes; n++) {
                if (used[n] == slots || load[n] + w[e] > cap || aff[e][n] == 0) {
                    continue;
                }
                if (best < 0 || aff[e][n] > aff[e][best]) {
                    best = n;
                }
            }
            if (best < 0) {
                for (int n = 0; n < nodes; n++) {
                    if (used[n] < slots && (best < 0 || load[n] < load[best])) {
                        best = n;
                    }
                }
            }
            nodeOf[e] = best;
            used[best]++;
            load[best] += w[e];
            for (int x = 0; x < experts; x++) {
                aff[x][best] += stats.coactivation(layer, x, e);
            }
        }
        for (int pass = 0; pass < swapPasses; pass++) {
            for (int a = 0; a < experts; a++) {
                for (int b = a + 1; b < experts; b++) {
                    int na = nodeOf[a];
                    int nb = nodeOf[b];
                    if (na == nb) {
                        continue;
                    }
                    long ab = stats.coactivation(layer, a, b);
                    double gain = aff[a][nb] - ab + aff[b][na] - ab - aff[a][na] - aff[b][nb];
                    double newA = load[na] - w[a] + w[b];
                    double newB = load[nb] - w[b] + w[a];
                    boolean balanced = Math.max(newA, newB) <= Math.max(cap, Math.max(load[na], load[nb]));
                    if (gain > 0 && balanced) {
                        nodeOf[a] = nb;
                        nodeOf[b] = na;
                        load[na] = newA;
                        load[nb] = newB;
                        for (int x = 0; x < experts; x++) {
                            long xa = stats.coactivation(layer, x, a);
                            long xb = stats.coactivation(layer, x, b);
                            aff[x][na] += xb - xa;
                            aff[x][nb] += xa - xb;
                        }
                    }
                }
            }
        }
        return nodeOf;
    }
}
