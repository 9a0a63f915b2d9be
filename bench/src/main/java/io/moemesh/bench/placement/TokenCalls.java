package io.moemesh.bench.placement;

import io.moemesh.core.placement.GreedyCover;
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
 * so this takes the greedy cover ({@link GreedyCover}, the rule the planner scores with and the
 * router dispatches by).
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
        GreedyCover cover = new GreedyCover(bins, k);
        int[] token = new int[k];
        for (int l = 0; l < layers; l++) {
            int[][] binsOfLayer = binsOf[l];
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(heldOut[l], t * k, token, 0, k);
                int calls = cover.cover(token, e -> binsOfLayer[e], null);
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
}
