package io.moemesh.bench.placement;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import java.util.Arrays;
import java.util.SortedSet;

/**
 * Remote calls per token for top-k routing, counted from sampled tokens rather than from
 * {@code PlanScorer}'s top-2 formula ({@code 2 - captured}), which does not extend to k = 8.
 *
 * <p>A token must reach, at each layer, services that together host its k experts; a service
 * hosting several of them computes them in one call. Choosing the fewest services is set cover,
 * so this takes the greedy cover: repeatedly the service hosting most of the still-uncovered
 * experts, ties to the lowest index. Greedy cover is within a factor ln k of the optimum and
 * exact whenever no two chosen services overlap, which is what a plan with few partners gives.
 */
public final class TokenCalls {

    private TokenCalls() {
    }

    /** Mean calls per token per layer, and the 99th percentile, over every (token, layer). */
    public record Calls(double mean, int p99, int max) {
    }

    public static Calls perToken(PlacementPlan plan, int layers, int experts, int[][] heldOut, int k) {
        // hostsOf[l][e]: services hosting unit (l, e)
        int[][][] hostsOf = new int[layers][experts][0];
        for (int s = 0; s < plan.hosted().size(); s++) {
            SortedSet<Unit> units = plan.hosted().get(s);
            for (Unit u : units) {
                int[] h = hostsOf[u.layer()][u.expert()];
                h = Arrays.copyOf(h, h.length + 1);
                h[h.length - 1] = s;
                hostsOf[u.layer()][u.expert()] = h;
            }
        }
        return count(hostsOf, plan.hosted().size(), heldOut, k);
    }

    /** The same count where "services" are any bins: {@code binsOf[l][e]} lists the bins holding (l, e). */
    public static Calls count(int[][][] binsOf, int bins, int[][] heldOut, int k) {
        int layers = heldOut.length;
        int tokens = heldOut[0].length / k;
        int[] histogram = new int[k + 1];
        long total = 0;
        int[] covers = new int[bins];
        boolean[] covered = new boolean[k];
        for (int l = 0; l < layers; l++) {
            for (int t = 0; t < tokens; t++) {
                int calls = greedyCover(binsOf[l], heldOut[l], t * k, k, covers, covered);
                histogram[calls]++;
                total += calls;
            }
        }
        long samples = (long) layers * tokens;
        long seen = 0;
        int p99 = 0;
        int max = 0;
        for (int c = 0; c <= k; c++) {
            seen += histogram[c];
            if (p99 == 0 && seen >= Math.ceil(0.99 * samples)) {
                p99 = c;
            }
            max = histogram[c] > 0 ? c : max;
        }
        return new Calls(total / (double) samples, p99, max);
    }

    private static int greedyCover(int[][] binsOf, int[] choices, int from, int k, int[] covers, boolean[] covered) {
        Arrays.fill(covered, false);
        int left = k;
        int calls = 0;
        while (left > 0) {
            int best = -1;
            for (int a = 0; a < k; a++) {
                if (covered[a]) {
                    continue;
                }
                for (int b : binsOf[choices[from + a]]) {
                    covers[b]++;
                }
            }
            for (int a = 0; a < k; a++) {
                if (covered[a]) {
                    continue;
                }
                for (int b : binsOf[choices[from + a]]) {
                    if (best < 0 || covers[b] > covers[best] || covers[b] == covers[best] && b < best) {
                        best = b;
                    }
                }
            }
            for (int a = 0; a < k; a++) {
                if (covered[a]) {
                    continue;
                }
                for (int b : binsOf[choices[from + a]]) {
                    covers[b] = 0;
                }
            }
            for (int a = 0; a < k; a++) {
                if (!covered[a] && contains(binsOf[choices[from + a]], best)) {
                    covered[a] = true;
                    left--;
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
