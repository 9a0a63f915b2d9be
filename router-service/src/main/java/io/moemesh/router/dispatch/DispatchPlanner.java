package io.moemesh.router.dispatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Decides, for one layer step, which endpoint computes which (token, expert) pairs. A token whose
 * experts are all hosted by one endpoint goes there once, with all of its pairs (one network hop
 * instead of two); otherwise the endpoints are chosen by greedy set cover — the one computing the
 * most of the token's remaining experts first, as the placement planner scores plans
 * ({@code GreedyCover}) — and the token is sent to each chosen endpoint once with the experts it
 * computes there. Among equal candidates (replicas) the one with the fewest tokens so far in this
 * step wins, ties to the lower index, so plans are deterministic and balanced.
 *
 * <p>Whether an endpoint may sum a token's pairs (ADR 0001): the router must reproduce the
 * in-process fold {@code ((0 + p₁) + p₂) + …} over the token's experts in ascending order. An
 * endpoint's sum does so only when its experts are the first ones of the token's whole list; any
 * other group of two or more is answered one row per expert ({@code per_unit_outputs}) and the
 * router adds the rows itself. With top-2 every group is a single expert or the whole pair.
 */
final class DispatchPlanner {

    private DispatchPlanner() {
    }

    /**
     * @param experts {@code experts[token]}: the pairs still to compute for each token, experts
     *                ascending (empty or null: nothing to do for that token)
     * @param weights the matching gate weights
     * @param all     {@code all[token]}: every expert the token was routed to in this step, ascending
     *                (a retry computes only part of it)
     * @param hosts   {@code hosts[expert]}: indices of the endpoints hosting that expert at this layer
     * @param usable  which endpoints may be used in this attempt
     * @return assignments by endpoint, in the order endpoints were first chosen
     * @throws UnservableExpertException naming an expert that no usable endpoint hosts
     */
    static List<Assignment> plan(int[][] experts, float[][] weights, int[][] all, int[][] hosts, int endpointCount,
            IntPredicate usable) {
        Map<Integer, Assignment> byEndpoint = new LinkedHashMap<>();
        int[] load = new int[endpointCount];
        for (int t = 0; t < experts.length; t++) {
            if (experts[t] == null || experts[t].length == 0) {
                continue;
            }
            planToken(t, experts[t], weights[t], all[t], hosts, usable, byEndpoint, load);
        }
        return new ArrayList<>(byEndpoint.values());
    }

    private static void planToken(int t, int[] experts, float[] weights, int[] all, int[][] hosts,
            IntPredicate usable, Map<Integer, Assignment> byEndpoint, int[] load) {
        int shared = leastLoaded(commonHosts(experts, hosts, usable), load);
        if (shared >= 0) {
            assign(byEndpoint, load, shared, t, experts, weights, all);
            return;
        }
        // Greedy set cover, as the placement planner scores it (GreedyCover): first the endpoint that
        // computes the most of the token's remaining experts, ties to the least loaded, then the lower index.
        int[] chosen = new int[experts.length];
        Arrays.fill(chosen, -1);
        List<Integer> endpoints = new ArrayList<>(experts.length);
        for (int left = experts.length; left > 0; ) {
            int best = -1;
            int bestCount = 0;
            for (int j = 0; j < experts.length; j++) {
                if (chosen[j] >= 0) {
                    continue;
                }
                for (int c : usableHosts(hosts[experts[j]], usable)) {
                    int count = remainingHostedBy(c, experts, chosen, hosts);
                    if (best < 0 || count > bestCount || (count == bestCount && (load[c] < load[best]
                            || (load[c] == load[best] && c < best)))) {
                        best = c;
                        bestCount = count;
                    }
                }
            }
            if (best < 0) {
                for (int j = 0; j < experts.length; j++) {
                    if (chosen[j] < 0) {
                        throw new UnservableExpertException(experts[j]);
                    }
                }
            }
            for (int j = 0; j < experts.length; j++) {
                if (chosen[j] < 0 && contains(hosts[experts[j]], best)) {
                    chosen[j] = best;
                    left--;
                }
            }
            endpoints.add(best);
        }
        for (int endpoint : endpoints) {
            int[] mine = IntStream.range(0, experts.length).filter(j -> chosen[j] == endpoint).toArray();
            int[] groupExperts = Arrays.stream(mine).map(j -> experts[j]).toArray();
            float[] groupWeights = new float[mine.length];
            for (int i = 0; i < mine.length; i++) {
                groupWeights[i] = weights[mine[i]];
            }
            assign(byEndpoint, load, endpoint, t, groupExperts, groupWeights, all);
        }
    }

    private static void assign(Map<Integer, Assignment> byEndpoint, int[] load, int endpoint, int token,
            int[] experts, float[] weights, int[] all) {
        boolean perUnit = experts.length > 1 && !isPrefix(experts, all);
        byEndpoint.computeIfAbsent(endpoint, Assignment::new).add(token, experts, weights, perUnit);
        load[endpoint]++;
    }

    /** Whether {@code experts} are the first {@code experts.length} entries of {@code all}. */
    static boolean isPrefix(int[] experts, int[] all) {
        return experts.length <= all.length && Arrays.equals(experts, 0, experts.length, all, 0, experts.length);
    }

    /** How many of the token's not yet placed experts endpoint {@code c} hosts. */
    private static int remainingHostedBy(int c, int[] experts, int[] chosen, int[][] hosts) {
        int count = 0;
        for (int j = 0; j < experts.length; j++) {
            if (chosen[j] < 0 && contains(hosts[experts[j]], c)) {
                count++;
            }
        }
        return count;
    }

    private static int[] commonHosts(int[] experts, int[][] hosts, IntPredicate usable) {
        int[] common = usableHosts(hosts[experts[0]], usable);
        for (int j = 1; j < experts.length && common.length > 0; j++) {
            int[] other = hosts[experts[j]];
            common = Arrays.stream(common).filter(c -> contains(other, c)).toArray();
        }
        return common;
    }

    private static int[] usableHosts(int[] candidates, IntPredicate usable) {
        return Arrays.stream(candidates).filter(usable).toArray();
    }

    private static int leastLoaded(int[] candidates, int[] load) {
        int best = -1;
        for (int c : candidates) {
            if (best < 0 || load[c] < load[best] || (load[c] == load[best] && c < best)) {
                best = c;
            }
        }
        return best;
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }

    /** Orders a token's pairs by expert index: the order every side combines in (ADR 0001). */
    static void sortByExpert(int[] experts, float[] weights) {
        for (int i = 1; i < experts.length; i++) {
            for (int j = i; j > 0 && experts[j] < experts[j - 1]; j--) {
                int e = experts[j];
                experts[j] = experts[j - 1];
                experts[j - 1] = e;
                float w = weights[j];
                weights[j] = weights[j - 1];
                weights[j - 1] = w;
            }
        }
    }

    /** No usable endpoint hosts this expert. */
    static final class UnservableExpertException extends RuntimeException {
        final int expert;

        UnservableExpertException(int expert) {
            super("no usable endpoint hosts expert " + expert, null, false, false);
            this.expert = expert;
        }
    }
}
