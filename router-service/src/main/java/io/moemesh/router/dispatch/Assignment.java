package io.moemesh.router.dispatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The work one endpoint gets in one layer step: for each of its tokens, the (expert, weight) pairs
 * it must compute, experts ascending.
 */
record Assignment(int endpoint, List<Integer> tokens, List<int[]> experts, List<float[]> weights) {

    Assignment(int endpoint) {
        this(endpoint, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    void add(int token, int[] tokenExperts, float[] tokenWeights) {
        tokens.add(token);
        experts.add(tokenExperts);
        weights.add(tokenWeights);
    }

    int size() {
        return tokens.size();
    }
}
