package io.moemesh.router.dispatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The work one endpoint gets in one layer step: for each of its tokens, the (expert, weight) pairs
 * it must compute, experts ascending, and whether it must answer them one row per expert
 * ({@code TokenRoute.per_unit_outputs}) instead of one summed row.
 */
record Assignment(int endpoint, List<Integer> tokens, List<int[]> experts, List<float[]> weights,
        List<Boolean> perUnit) {

    Assignment(int endpoint) {
        this(endpoint, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    }

    void add(int token, int[] tokenExperts, float[] tokenWeights, boolean perUnitOutputs) {
        tokens.add(token);
        experts.add(tokenExperts);
        weights.add(tokenWeights);
        perUnit.add(perUnitOutputs);
    }

    int size() {
        return tokens.size();
    }

    /** Rows the answer must have: one per token, or one per expert of a per-unit token. */
    int rows() {
        int rows = 0;
        for (int j = 0; j < size(); j++) {
            rows += perUnit.get(j) ? experts.get(j).length : 1;
        }
        return rows;
    }

    /** Tokens asking for per-unit outputs. */
    int perUnitTokens() {
        return (int) perUnit.stream().filter(Boolean::booleanValue).count();
    }
}
