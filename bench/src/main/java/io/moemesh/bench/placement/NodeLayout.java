package io.moemesh.bench.placement;

import io.moemesh.core.routing.RoutingStats;

/**
 * Which nodes hold each expert's replicas, layer by layer, for node-level comparisons: remote
 * traffic that leaves a node (InfiniBand) costs far more than traffic inside one (NVLink), so
 * what counts is how many distinct nodes a token's k experts span.
 *
 * @param replicasOn {@code [layer][expert][node]}: that expert's replicas on that node
 */
public record NodeLayout(String name, int nodes, double memory, int[][][] replicasOn) {

    /** Distinct nodes per (token, layer) over held-out tokens, greedy cover where experts are replicated. */
    public TokenCalls.Calls nodesPerToken(int[][] heldOut, int k) {
        int layers = replicasOn.length;
        int experts = replicasOn[0].length;
        int[][][] binsOf = new int[layers][experts][];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                int n = 0;
                for (int node = 0; node < nodes; node++) {
                    n += replicasOn[l][e][node] > 0 ? 1 : 0;
                }
                binsOf[l][e] = new int[n];
                n = 0;
                for (int node = 0; node < nodes; node++) {
                    if (replicasOn[l][e][node] > 0) {
                        binsOf[l][e][n++] = node;
                    }
                }
            }
        }
        return TokenCalls.count(binsOf, nodes, heldOut, k);
    }

    /**
     * Busiest node's expert-token work over the mean node's, per layer (layers run one after
     * another, so each must balance), averaged over layers and worst layer. An expert's tokens
     * are split evenly over its replicas, as EPLB assumes.
     */
    public double[] maxMeanNodeLoad(RoutingStats stats) {
        double sum = 0;
        double worst = 0;
        for (int l = 0; l < replicasOn.length; l++) {
            double[] load = new double[nodes];
            for (int e = 0; e < replicasOn[l].length; e++) {
                int copies = 0;
                for (int c : replicasOn[l][e]) {
                    copies += c;
                }
                for (int node = 0; node < nodes; node++) {
                    load[node] += stats.expertTokens()[l][e] * replicasOn[l][e][node] / (double) copies;
                }
            }
            double max = 0;
            double total = 0;
            for (double x : load) {
                max = Math.max(max, x);
                total += x;
            }
            double ratio = total == 0 ? 1 : max / (total / nodes);
            sum += ratio;
            worst = Math.max(worst, ratio);
        }
        return new double[] {sum / replicasOn.length, worst};
    }

    /** One replica per expert, expert e on node {@code nodeOf[l][e]}. */
    static NodeLayout single(String name, int nodes, int[][] nodeOf) {
        int[][][] on = new int[nodeOf.length][nodeOf[0].length][nodes];
        for (int l = 0; l < nodeOf.length; l++) {
            for (int e = 0; e < nodeOf[l].length; e++) {
                on[l][e][nodeOf[l][e]] = 1;
            }
        }
        return new NodeLayout(name, nodes, 1.0, on);
    }

    static NodeLayout contiguous(int layers, int experts, int nodes) {
        int[][] nodeOf = new int[layers][experts];
        for (int[] row : nodeOf) {
            for (int e = 0; e < experts; e++) {
                row[e] = e / (experts / nodes);
            }
        }
        return single("contiguous", nodes, nodeOf);
    }

    static NodeLayout roundRobin(int layers, int experts, int nodes) {
        int[][] nodeOf = new int[layers][experts];
        for (int[] row : nodeOf) {
            for (int e = 0; e < experts; e++) {
                row[e] = e % nodes;
            }
        }
        return single("round-robin", nodes, nodeOf);
    }
}
