package io.moemesh.router.dispatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Decides, for one layer step, which endpoint computes which (token, expert) pairs. A token whose
 * experts are all hosted by one endpoint goes there once, with all of its pairs (one network hop
 * instead of two); otherwise each expert goes to an endpoint hosting it. Among replicas the one
 * with the fewest tokens so far in this step wins, ties to the lower index, so plans are
 * deterministic and balanced.
 */
final class DispatchPlanner {

    private DispatchPlanner() {
    }

    /**
     * @param experts {@code experts[token]}: the pairs still to compute for each token, experts
     *                ascending (empty or null: nothing to do for that token)
     * @param weights the matching gate weights
     * @param hosts   {@code hosts[expert]}: indices of the endpoints hosting that expert at this layer
     * @param usable  which endpoints may be used in this attempt
     * @return assignments by endpoint, in the order endpoints were first chosen
     * @throws UnservableExpertException naming an expert that no usable endpoint hosts
     */
    static List<Assignment> plan(int[][] experts, float[][] weights, int[][] hosts, int endpointCount,
            IntPredicate usable) {
        Map<Integer, Assignment> byEndpoint = new LinkedHashMap<>();
        int[] load = new int[endpointCount];
        for (int t = 0; t < experts.length; t++) {
            if (experts[t] == null || experts[t].length == 0) {
                continue;
            }
            planToken(t, experts[t], weights[t], hosts, usable, byEndpoint, load);
        }
        return new ArrayList<>(byEndpoint.values());
    }

    private static void planToken(int t, int[] experts, float[] weights, int[][] hosts, IntPredicate usable,
            Map<Integer, Assignment> byEndpoint, int[] load) {
        int shared = leastLoaded(commonHosts(experts, hosts, usable), load);
        if (shared >= 0) {
            assign(byEndpoint, load, shared, t, experts, weights);
            return;
        }
        for (int j = 0; j < experts.length; j++) {
            int e = experts[j];
            int endpoint = leastLoaded(usableHosts(hosts[e], usable), load);
            if (endpoint < 0) {
                throw new UnservableExpertException(e);
            }
            assign(byEndpoint, load, endpoint, t, new int[] {e}, new float[] {weights[j]});
        }
    }

    private static void assign(Map<Integer, Assignment> byEndpoint, int[] load, int endpoint, int token,
            int[] experts, float[] weights) {
        byEndpoint.computeIfAbsent(endpoint, Assignment::new).add(token, experts, weights);
        load[endpoint]++;
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
