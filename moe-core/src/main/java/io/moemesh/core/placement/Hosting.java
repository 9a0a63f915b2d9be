package io.moemesh.core.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Mutable working placement the planners grow one unit at a time: which services host which units.
 * Kept as flat boolean arrays (not hash sets) so every walk over it is in index order and the
 * planners stay deterministic.
 */
final class Hosting {

    private final int layers;
    private final int experts;
    private final boolean[][][] hosts; // [service][layer][expert]
    private final int[] unitCount;     // [service]

    private Hosting(int layers, int experts) {
        this.layers = layers;
        this.experts = experts;
        this.hosts = new boolean[experts][layers][experts];
        this.unitCount = new int[experts];
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
            hosts[service][layer][expert] = true;
            unitCount[service]++;
        }
    }

    void remove(int service, int layer, int expert) {
        if (hosts[service][layer][expert]) {
            hosts[service][layer][expert] = false;
            unitCount[service]--;
        }
    }

    /** Services hosting both experts of the pair at this layer, {@code [i][j]}. */
    int[][] coHostCounts(int layer) {
        int[][] count = new int[experts][experts];
        for (int s = 0; s < experts; s++) {
            boolean[] row = hosts[s][layer];
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; row[i] && j < experts; j++) {
                    if (row[j]) {
                        count[i][j]++;
                        count[j][i]++;
                    }
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
