package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Mutable working placement the planners grow one unit at a time: which services host which units.
 * Kept as flat boolean arrays (not hash sets) so every walk over it is in index order and the
 * planners stay deterministic, plus the indexes the incremental planner needs at production
 * shapes (256 experts x 58 layers): each service's experts of a layer in ascending order, the
 * services hosting each unit, and each layer's pair co-host counts. With them a pair's co-host
 * count is one read and a service's load costs the handful of units involved instead of a scan
 * over every service and expert.
 */
final class Hosting {

    private final int layers;
    private final int experts;
    private final boolean[][][] hosts; // [service][layer][expert]
    private final int[] unitCount;     // [service]
    private final int[][][] onService; // [service][layer] -> experts hosted, ascending
    private final int[][][] hostsOf;   // [layer][expert] -> services hosting it, in order added
    private final int[][] pairHosts;   // [layer][i * experts + j] -> services hosting both, symmetric

    private static final int[] NONE = new int[0];

    private Hosting(int layers, int experts) {
        this.layers = layers;
        this.experts = experts;
        this.hosts = new boolean[experts][layers][experts];
        this.unitCount = new int[experts];
        this.onService = new int[experts][layers][];
        this.hostsOf = new int[layers][experts][];
        this.pairHosts = new int[layers][experts * experts];
        for (int[][] row : onService) {
            Arrays.fill(row, NONE);
        }
        for (int[][] row : hostsOf) {
            Arrays.fill(row, NONE);
        }
    }

    /** The default topology: service s hosts (l, s) for every layer l. */
    static Hosting homes(int layers, int experts) {
        Hosting h = new Hosting(layers, experts);
        for (int s = 0; s < experts; s++) {
            for (int l = 0; l < layers; l++) {
                h.add(s, l, s);
            }
        }
        return h;
    }

    static Hosting of(PlacementPlan plan, int layers, int experts) {
        Hosting h = new Hosting(layers, experts);
        for (int s = 0; s < plan.hosted().size(); s++) {
            for (Unit u : plan.hosted().get(s)) {
                h.add(s, u.layer(), u.expert());
            }
        }
        return h;
    }

    int layers() {
        return layers;
    }

    int services() {
        return experts;
    }

    boolean hosts(int service, int layer, int expert) {
        return hosts[service][layer][expert];
    }

    int unitCount(int service) {
        return unitCount[service];
    }

    int totalUnits() {
        int n = 0;
        for (int c : unitCount) {
            n += c;
        }
        return n;
    }

    void add(int service, int layer, int expert) {
        if (!hosts[service][layer][expert]) {
            countPairs(service, layer, expert, 1);
            hosts[service][layer][expert] = true;
            unitCount[service]++;
            onService[service][layer] = insertSorted(onService[service][layer], expert);
            int[] h = hostsOf[layer][expert];
            int[] grown = Arrays.copyOf(h, h.length + 1);
            grown[h.length] = service;
            hostsOf[layer][expert] = grown;
        }
    }

    void remove(int service, int layer, int expert) {
        if (hosts[service][layer][expert]) {
            hosts[service][layer][expert] = false;
            countPairs(service, layer, expert, -1);
            unitCount[service]--;
            onService[service][layer] = without(onService[service][layer], expert);
            hostsOf[layer][expert] = without(hostsOf[layer][expert], service);
        }
    }

    /** Experts this service hosts at the layer, ascending; do not modify. */
    int[] expertsOn(int service, int layer) {
        return onService[service][layer];
    }

    /** Services hosting the unit; do not modify. */
    int[] hostsOf(int layer, int expert) {
        return hostsOf[layer][expert];
    }

    int copies(int layer, int expert) {
        return hostsOf[layer][expert].length;
    }

    /** Services hosting both experts of the pair at this layer. */
    int coHosts(int layer, int i, int j) {
        return pairHosts[layer][i * experts + j];
    }

    /**
     * Counts the pairs the unit forms with the service's other experts at the layer. Kept as a
     * matrix (58 x 256^2 ints, 15 MB, at DeepSeek-V3's shape) because the planner asks for a pair's
     * co-host count tens of millions of times per plan; a walk over the hosts cost most of its time.
     */
    private void countPairs(int service, int layer, int expert, int delta) {
        int[] count = pairHosts[layer];
        for (int k : onService[service][layer]) {
            if (k != expert) {
                count[expert * experts + k] += delta;
                count[k * experts + expert] += delta;
            }
        }
    }

    private static int[] insertSorted(int[] xs, int x) {
        int at = 0;
        while (at < xs.length && xs[at] < x) {
            at++;
        }
        int[] out = new int[xs.length + 1];
        System.arraycopy(xs, 0, out, 0, at);
        out[at] = x;
        System.arraycopy(xs, at, out, at + 1, xs.length - at);
        return out;
    }

    private static int[] without(int[] xs, int x) {
        int[] out = new int[xs.length - 1];
        int n = 0;
        for (int v : xs) {
            if (v != x) {
                out[n++] = v;
            }
        }
        return out;
    }

    /** Services hosting both experts of the pair at this layer, {@code [i][j]}. */
    int[][] coHostCounts(int layer) {
        int[][] count = new int[experts][experts];
        for (int s = 0; s < experts; s++) {
            int[] on = onService[s][layer];
            for (int a = 0; a < on.length; a++) {
                for (int b = a + 1; b < on.length; b++) {
                    count[on[a]][on[b]]++;
                    count[on[b]][on[a]]++;
                }
            }
        }
        return count;
    }

    List<SortedSet<Unit>> units() {
        List<SortedSet<Unit>> out = new ArrayList<>(experts);
        for (int s = 0; s < experts; s++) {
            SortedSet<Unit> set = new TreeSet<>();
            for (int l = 0; l < layers; l++) {
                for (int e = 0; e < experts; e++) {
                    if (hosts[s][l][e]) {
                        set.add(new Unit(l, e));
                    }
                }
            }
            out.add(set);
        }
        return out;
    }
}
