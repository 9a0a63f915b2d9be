package io.moemesh.router.dispatch;

import io.moemesh.core.gate.GateDecision;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * The (token, expert) pairs not computed yet, experts ascending per token, and every expert of each
 * token ({@code all}, ascending), which decides where a sum may be formed.
 */
record PendingPairs(int[][] experts, float[][] weights, int[][] all) {

    static PendingPairs of(GateDecision[] routes, int tokens) {
        int[][] experts = new int[tokens][];
        float[][] weights = new float[tokens][];
        int[][] all = new int[tokens][];
        for (int t = 0; t < tokens; t++) {
            experts[t] = routes[t].experts().clone();
            weights[t] = routes[t].weights().clone();
            DispatchPlanner.sortByExpert(experts[t], weights[t]);
            all[t] = experts[t].clone();
        }
        return new PendingPairs(experts, weights, all);
    }

    void done(int token, int[] computed) {
        int keep = 0;
        for (int j = 0; j < experts[token].length; j++) {
            if (!contains(computed, experts[token][j])) {
                experts[token][keep] = experts[token][j];
                weights[token][keep++] = weights[token][j];
            }
        }
        experts[token] = Arrays.copyOf(experts[token], keep);
        weights[token] = Arrays.copyOf(weights[token], keep);
    }

    boolean isEmpty() {
        for (int[] e : experts) {
            if (e.length > 0) {
                return false;
            }
        }
        return true;
    }

    Set<Integer> expertSet() {
        Set<Integer> set = new TreeSet<>();
        for (int[] e : experts) {
            for (int x : e) {
                set.add(x);
            }
        }
        return set;
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
