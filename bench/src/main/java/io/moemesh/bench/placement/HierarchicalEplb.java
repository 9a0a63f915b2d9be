package io.moemesh.bench.placement;

import io.moemesh.core.routing.RoutingStats;
import java.util.Arrays;

/**
 * DeepSeek's expert-parallel load balancer (EPLB, github.com/deepseek-ai/EPLB, {@code eplb.py}),
 * reimplemented from its description to compare with at node level. It balances load only:
 *
 * <ol>
 *   <li>hierarchical: cut each layer's experts into {@code groups} contiguous groups (DeepSeek-V3's
 *       group-limited routing), pack groups onto nodes, equal counts per node, heaviest group to
 *       the lightest node with room;
 *   <li>within each node, spend its redundant slots one by one on the expert with the highest
 *       load per replica;
 *   <li>(GPU packing inside a node does not change node-level numbers and is left out.)
 * </ol>
 * Like {@code eplb.py}, when {@code groups} is not a multiple of the node count it falls back
 * to the global policy: replicate over all experts, then pack replicas onto GPUs (heaviest to the
 * lightest GPU with room) and read each GPU's node. Unlike it, the number of replicas need not be
 * a multiple of the GPU count: a GPU then holds at most {@code ceil(replicas / gpus)}.
 */
public final class HierarchicalEplb {

    private HierarchicalEplb() {
    }

    /** {@code memory}: replicas per layer over experts (1.0 = no redundancy). */
    public static NodeLayout layout(RoutingStats stats, int nodes, int gpusPerNode, int groups, double memory) {
        int layers = stats.numLayers();
        int experts = stats.numExperts();
        int[][][] on = new int[layers][experts][nodes];
        boolean hierarchical = groups % nodes == 0 && experts % groups == 0;
        for (int l = 0; l < layers; l++) {
            long[] w = stats.expertTokens()[l];
            if (hierarchical) {
                hierarchicalLayer(w, nodes, groups, memory, on[l]);
            } else {
                globalLayer(w, nodes, gpusPerNode, memory, on[l]);
            }
        }
        String name = (hierarchical ? "eplb-hierarchical g=" + groups : "eplb-global") + String.format(" %.2fx", memory);
        return new NodeLayout(name, nodes, memory, on);
    }

    private static void hierarchicalLayer(long[] w, int nodes, int groups, double memory, int[][] on) {
        int groupSize = w.length / groups;
        double[] groupLoad = new double[groups];
        for (int e = 0; e < w.length; e++) {
            groupLoad[e / groupSize] += w[e];
        }
        int[] nodeOfGroup = pack(groupLoad, nodes, groups / nodes);
        int perNode = (int) Math.round(memory * w.length / nodes);
        for (int n = 0; n < nodes; n++) {
            int[] mine = new int[w.length / nodes];
            int m = 0;
            for (int e = 0; e < w.length; e++) {
                if (nodeOfGroup[e / groupSize] == n) {
                    mine[m++] = e;
                }
            }
            int[] copies = replicate(w, mine, perNode);
            for (int i = 0; i < mine.length; i++) {
                on[mine[i]][n] = copies[i];
            }
        }
    }

    private static void globalLayer(long[] w, int nodes, int gpusPerNode, double memory, int[][] on) {
        int[] all = new int[w.length];
        Arrays.setAll(all, e -> e);
        int replicas = (int) Math.round(memory * w.length);
        int[] copies = replicate(w, all, replicas);
        double[] replicaLoad = new double[replicas];
        int[] expertOf = new int[replicas];
        int r = 0;
        for (int e = 0; e < w.length; e++) {
            for (int c = 0; c < copies[e]; c++) {
                replicaLoad[r] = w[e] / (double) copies[e];
                expertOf[r++] = e;
            }
        }
        int gpus = nodes * gpusPerNode;
        int[] gpuOf = pack(replicaLoad, gpus, (replicas + gpus - 1) / gpus);
        for (int i = 0; i < replicas; i++) {
            on[expertOf[i]][gpuOf[i] / gpusPerNode]++;
        }
    }

    /** Replica counts for {@code experts} filling {@code slots}: each extra to the highest load per replica. */
    static int[] replicate(long[] w, int[] experts, int slots) {
        int[] copies = new int[experts.length];
        Arrays.fill(copies, 1);
        for (int extra = experts.length; extra < slots; extra++) {
            int best = 0;
            for (int i = 1; i < experts.length; i++) {
                if (w[experts[i]] / (double) copies[i] > w[experts[best]] / (double) copies[best]) {
                    best = i;
                }
            }
            copies[best]++;
        }
        return copies;
    }

    /** Heaviest item first onto the lightest pack with room (at most {@code capacity} items a pack). */
    static int[] pack(double[] weight, int packs, int capacity) {
        Integer[] order = new Integer[weight.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> weight[a] != weight[b] ? Double.compare(weight[b], weight[a]) : Integer.compare(a, b));
        double[] load = new double[packs];
        int[] count = new int[packs];
        int[] packOf = new int[weight.length];
        for (int item : order) {
            int best = -1;
            for (int p = 0; p < packs; p++) {
                if (count[p] < capacity && (best < 0 || load[p] < load[best])) {
                    best = p;
                }
            }
            packOf[item] = best;
            load[best] += weight[item];
            count[best]++;
        }
        return packOf;
    }
}
