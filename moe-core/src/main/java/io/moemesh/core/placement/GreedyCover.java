package io.moemesh.core.placement;

import java.util.function.IntFunction;

/**
 * Which services one token's call goes to at one layer when it chose k experts: the fewest
 * services that together host them is set cover, so this takes the greedy cover, repeatedly the
 * service hosting most of the still-uncovered experts, ties to the lowest service index (Chvátal
 * 1979: within a factor H(k) of the optimum; exact when no two chosen services overlap). For k = 2
 * it is "one call if some service hosts both, else two", the pair rule. The scorer and the planner
 * both count calls with it, so a router that dispatches top-k > 2 tokens by this cover makes the
 * calls they predict.
 */
public final class GreedyCover {

    private final int[] covers;  // [service] scratch, all zero between calls
    private final boolean[] done;

    /** Scratch for covers over {@code services} services and sets of at most {@code maxK} experts. */
    public GreedyCover(int services, int maxK) {
        this.covers = new int[services];
        this.done = new boolean[maxK];
    }

    /**
     * @param experts  the token's experts
     * @param hostsOf  services hosting an expert (each expert must have one)
     * @param assigned if not null, {@code assigned[i]} receives the service chosen for {@code experts[i]}
     * @return services called
     */
    public int cover(int[] experts, IntFunction<int[]> hostsOf, int[] assigned) {
        int k = experts.length;
        for (int a = 0; a < k; a++) {
            done[a] = false;
        }
        int left = k;
        int calls = 0;
        while (left > 0) {
            int best = -1;
            for (int a = 0; a < k; a++) {
                if (!done[a]) {
                    for (int s : hostsOf.apply(experts[a])) {
                        covers[s]++;
                    }
                }
            }
            for (int a = 0; a < k; a++) {
                if (!done[a]) {
                    for (int s : hostsOf.apply(experts[a])) {
                        if (best < 0 || covers[s] > covers[best] || covers[s] == covers[best] && s < best) {
                            best = s;
                        }
                    }
                }
            }
            for (int a = 0; a < k; a++) {
                if (!done[a]) {
                    for (int s : hostsOf.apply(experts[a])) {
                        covers[s] = 0;
                    }
                }
            }
            for (int a = 0; a < k; a++) {
                if (!done[a] && contains(hostsOf.apply(experts[a]), best)) {
                    done[a] = true;
                    left--;
                    if (assigned != null) {
                        assigned[a] = best;
                    }
                }
            }
            calls++;
        }
        return calls;
    }

    private static boolean contains(int[] xs, int x) {
        for (int v : xs) {
            if (v == x) {
                return true;
            }
        }
        return false;
    }
}
