package io.moemesh.expert.grpc;

import io.moemesh.proto.internal.v1.TokenRoute;

/** One token's (expert, weight) pairs as a test writes them. */
public record TestRoute(int[] experts, float[] weights) {

    public static TestRoute of(int expert, float weight) {
        return new TestRoute(new int[] {expert}, new float[] {weight});
    }

    public static TestRoute of(int expertA, float weightA, int expertB, float weightB) {
        return new TestRoute(new int[] {expertA, expertB}, new float[] {weightA, weightB});
    }

    public TokenRoute toProto() {
        TokenRoute.Builder route = TokenRoute.newBuilder();
        for (int j = 0; j < experts.length; j++) {
            route.addExperts(experts[j]).addWeights(weights[j]);
        }
        return route.build();
    }
}
