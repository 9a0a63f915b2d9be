package io.moemesh.expert.grpc;

import io.moemesh.proto.internal.v1.TokenRoute;

/** One token's (expert, weight) pairs as a test writes them, and whether it asks for per-unit outputs. */
public record TestRoute(int[] experts, float[] weights, boolean perUnit) {

    public static TestRoute of(int[] experts, float[] weights) {
        return new TestRoute(experts, weights, false);
    }

    /** The same pairs, answered one row per expert ({@code TokenRoute.per_unit_outputs}). */
    public TestRoute perUnitOutputs() {
        return new TestRoute(experts, weights, true);
    }

    /** Rows of the answer this token takes. */
    public int outputRows() {
        return perUnit ? experts.length : 1;
    }

    public static TestRoute of(int expert, float weight) {
        return of(new int[] {expert}, new float[] {weight});
    }

    public static TestRoute of(int expertA, float weightA, int expertB, float weightB) {
        return of(new int[] {expertA, expertB}, new float[] {weightA, weightB});
    }

    public TokenRoute toProto() {
        TokenRoute.Builder route = TokenRoute.newBuilder();
        for (int j = 0; j < experts.length; j++) {
            route.addExperts(experts[j]).addWeights(weights[j]);
        }
        return route.setPerUnitOutputs(perUnit).build();
    }
}
