package io.moemesh.bench.placement;

import io.moemesh.core.routing.RoutingStats;

/** EPLB's second step (replicate hot experts inside each node) applied to any node assignment. */
final class NodeReplication {

    private NodeReplication() {
    }

    static NodeLayout withinNodes(String name, RoutingStats stats, int nodes, int[][] nodeOf, double memory) {
        int layers = stats.numLayers();
        int experts = stats.numExperts();
        int perNode = (int) Math.round(memory * experts / nodes);
        int[][][] on = new int[layers][experts][nodes];
        for (int l = 0; l < layers; l++) {
            for (int n = 0; n < nodes; n++) {
                int count = 0;
                for (int e = 0; e < experts; e++) {
                    count += nodeOf[l][e] == n ? 1 : 0;
                }
                int[] mine = new int[count];
                int m = 0;
                for (int e = 0; e < experts; e++) {
                    if (nodeOf[l][e] == n) {
                        mine[m++] = e;
                    }
                }
                int[] copies = HierarchicalEplb.replicate(stats.expertTokens()[l], mine, perNode);
                for (int i = 0; i < mine.length; i++) {
                    on[l][mine[i]][n] = copies[i];
                }
            }
        }
        return new NodeLayout(name, nodes, memory, on);
    }
}
