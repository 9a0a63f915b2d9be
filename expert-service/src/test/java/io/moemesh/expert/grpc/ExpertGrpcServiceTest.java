package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static io.moemesh.expert.grpc.ComputeRequests.roundedToBf16;
import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.Unit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Describe and Compute over in-process gRPC; Compute against the in-process engine, bit for bit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExpertGrpcServiceTest {

    /** Tokens at layer 1 over the hosted experts 3, 5 and 7: pairs, single experts, unsorted weights. */
    private static final TestRoute[] MIXED_ROUTES = {
            TestRoute.of(3, 0.6f, 5, 0.4f),
            TestRoute.of(5, 0.25f, 7, 0.75f),
            TestRoute.of(3, 0.9f),
            TestRoute.of(3, 0.51f, 7, 0.49f),
            TestRoute.of(7, 0.3f),
            TestRoute.of(3, 0.125f, 5, 0.875f),
            TestRoute.of(5, 0.7f)};

    private final InProcessExpert expert = InProcessExpert.start();

    @AfterAll
    void close() {
        expert.close();
    }

    @Test
    void describeListsConfiguredUnitsAndModelShape() {
        DescribeResponse description = expert.blocking().describe(DescribeRequest.getDefaultInstance());

        assertThat(description.getUnitsList()).containsExactly(unit(0, 3), unit(0, 5), unit(1, 3), unit(1, 5), unit(1, 7));
        assertThat(description.getModel()).isEqualTo("tiny-random");
        assertThat(description.getHiddenSize()).isEqualTo(64);
        assertThat(description.getIntermediateSize()).isEqualTo(128);
        assertThat(description.getWeightDtype()).isEqualTo("BF16");
        assertThat(description.getBackend()).isEqualTo("cpu-scalar");
        assertThat(description.getEndpointId()).isEqualTo("test-endpoint");
    }

    @Test
    void computeOfF32InputEqualsInProcessCombineBitForBit() {
        float[] x = gaussianRows(MIXED_ROUTES.length, 11);

        ComputeResponse response = expert.blocking().compute(request(1, x, DType.DTYPE_F32, MIXED_ROUTES));

        assertThat(response.getOutput().getDtype()).isEqualTo(DType.DTYPE_F32);
        assertThat(response.getOutput().getShapeList()).containsExactly((long) MIXED_ROUTES.length, 64L);
        assertThat(output(response, MIXED_ROUTES.length))
                .containsExactly(ReferenceExperts.combine(1, x, MIXED_ROUTES));
    }

    @Test
    void computeOfBf16InputEqualsInProcessCombineOnTheRoundedInputBitForBit() {
        float[] x = gaussianRows(MIXED_ROUTES.length, 12);

        ComputeResponse response = expert.blocking().compute(request(1, x, DType.DTYPE_BF16, MIXED_ROUTES));

        assertThat(output(response, MIXED_ROUTES.length))
                .containsExactly(ReferenceExperts.combine(1, roundedToBf16(x), MIXED_ROUTES));
    }

    @Test
    void computeAtLayerZeroUsesLayerZeroWeights() {
        TestRoute[] routes = {TestRoute.of(3, 0.6f, 5, 0.4f), TestRoute.of(5, 1f)};
        float[] x = gaussianRows(routes.length, 13);

        ComputeResponse response = expert.blocking().compute(request(0, x, DType.DTYPE_F32, routes));

        assertThat(output(response, routes.length)).containsExactly(ReferenceExperts.combine(0, x, routes))
                .isNotEqualTo(ReferenceExperts.combine(1, x, routes));
    }

    @Test
    void splitPairPartialSumsAddUpToTheCoHostedSum() {
        TestRoute[] pair = {TestRoute.of(3, 0.6f, 5, 0.4f)};
        float[] x = gaussianRows(1, 14);

        float[] both = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, pair)), 1);
        float[] first = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, TestRoute.of(3, 0.6f))), 1);
        float[] second = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, TestRoute.of(5, 0.4f))), 1);

        float[] routerSum = new float[first.length];
        for (int i = 0; i < routerSum.length; i++) {
            routerSum[i] = first[i] + second[i];
        }
        assertThat(routerSum).containsExactly(both);
    }

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }
}
