package io.moemesh.expert.grpc;

import static io.moemesh.expert.grpc.ComputeRequests.gaussianRows;
import static io.moemesh.expert.grpc.ComputeRequests.output;
import static io.moemesh.expert.grpc.ComputeRequests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.expert.TinyModel;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DType;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code TokenRoute.per_unit_outputs}: one F32 row per listed expert, each {@code weight · FFN(x)}
 * alone, so that a router can fold a top-k > 2 token's experts in ascending order wherever they
 * run (ADR 0001). Over in-process gRPC, on layer 1 (experts 3, 5 and 7 hosted).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PerUnitOutputsTest {

    private static final int H = TinyModel.HIDDEN;
    private static final TestRoute TOP_THREE = TestRoute.of(new int[] {3, 5, 7}, new float[] {0.5f, 0.3f, 0.2f});

    private final InProcessExpert expert = InProcessExpert.start();

    @AfterAll
    void close() {
        expert.close();
    }

    @Test
    void aPerUnitTokenGetsOneRowPerExpertBetweenTheOtherTokensRows() {
        TestRoute pair = TestRoute.of(3, 0.6f, 5, 0.4f);
        TestRoute single = TestRoute.of(7, 1f);
        float[] x = gaussianRows(3, 21);

        ComputeResponse response = expert.blocking()
                .compute(request(1, x, DType.DTYPE_F32, pair, TOP_THREE.perUnitOutputs(), single));

        assertThat(response.getOutput().getShapeList()).containsExactly(5L, (long) H);
        float[] rows = output(response, 5);
        assertThat(row(rows, 0)).containsExactly(ReferenceExperts.combine(1, row(x, 0), pair));
        for (int j = 0; j < 3; j++) {
            TestRoute alone = TestRoute.of(TOP_THREE.experts()[j], TOP_THREE.weights()[j]);
            assertThat(row(rows, 1 + j)).as("expert %d", TOP_THREE.experts()[j])
                    .containsExactly(ReferenceExperts.combine(1, row(x, 1), alone));
        }
        assertThat(row(rows, 4)).containsExactly(ReferenceExperts.combine(1, row(x, 2), single));
    }

    @Test
    void aPrefixSumThenPerUnitRowsFoldToTheInProcessTopThreeResultWhereASecondSumDoesNot() {
        float[] x = gaussianRows(1, 22);
        TestRoute prefix = TestRoute.of(3, 0.5f);
        TestRoute rest = TestRoute.of(new int[] {5, 7}, new float[] {0.3f, 0.2f});

        float[] first = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, prefix)), 1);
        float[] perUnit = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, rest.perUnitOutputs())), 2);
        float[] summed = output(expert.blocking().compute(request(1, x, DType.DTYPE_F32, rest)), 1);

        float[] inProcess = ReferenceExperts.combine(1, x, TOP_THREE);
        assertThat(fold(first, row(perUnit, 0), row(perUnit, 1))).containsExactly(inProcess);
        // the old form: (p3 + (p5 + p7)) regroups the additions and misses the in-process bits
        assertThat(fold(first, summed)).isNotEqualTo(inProcess);
    }

    /** The router's combine: {@code ((0 + p₁) + p₂) + …}. */
    private static float[] fold(float[]... partials) {
        float[] out = new float[H];
        for (float[] p : partials) {
            for (int i = 0; i < H; i++) {
                out[i] += p[i];
            }
        }
        return out;
    }

    private static float[] row(float[] rows, int r) {
        return Arrays.copyOfRange(rows, r * H, (r + 1) * H);
    }
}
