package io.moemesh.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import org.junit.jupiter.api.Test;

/** Hand-computed examples: the reference kernels are checked against numbers worked out by hand. */
class ScalarKernelsTest {

    private static final float EXACT = 0f;
    private static final float FLOAT_ROUNDING = 1e-6f;

    private final Kernels kernels = Kernels.scalar();

    @Test
    void multipliesTwoByThreeMatrixByVector() {
        WeightMatrix w = TestMatrices.f32("w", 2, 3, 1, 2, 3, 4, 5, 6);
        float[] out = new float[2];

        kernels.matmul(w, new float[] {1, 0, -1}, 1, out);

        assertThat(out).containsExactly(new float[] {-2, -2}, within(EXACT));
    }

    @Test
    void multipliesEachBatchRowIndependently() {
        WeightMatrix w = TestMatrices.f32("w", 2, 3, 1, 2, 3, 4, 5, 6);
        float[] out = new float[4];

        kernels.matmul(w, new float[] {1, 0, -1, 1, 1, 1}, 2, out);

        assertThat(out).containsExactly(new float[] {-2, -2, 6, 15}, within(EXACT));
    }

    @Test
    void multipliesBf16Weights() {
        WeightMatrix w = TestMatrices.bf16("w", 2, 2, 1.5f, -2f, 0.25f, 8f);
        float[] out = new float[2];

        kernels.matmul(w, new float[] {2, 1}, 1, out);

        assertThat(w.dtype()).isEqualTo(DType.BF16);
        assertThat(out).containsExactly(new float[] {1f, 8.5f}, within(EXACT));
    }

    @Test
    void widensKnownBf16BitPatterns() {
        assertThat(WeightMatrix.bf16ToFloat((short) 0x3F80)).isEqualTo(1.0f);
        assertThat(WeightMatrix.bf16ToFloat((short) 0x3FC0)).isEqualTo(1.5f);
        assertThat(WeightMatrix.bf16ToFloat((short) 0xC000)).isEqualTo(-2.0f);
        assertThat(WeightMatrix.bf16ToFloat((short) 0x7F80)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(WeightMatrix.bf16ToFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(WeightMatrix.bf16ToFloat((short) 0x0001)).isEqualTo(0x1p-133f);
    }

    @Test
    void softmaxOfZeroAndLnTwoIsOneThirdTwoThirds() {
        float[] x = {0f, (float) Math.log(2)};

        kernels.softmax(x, 0, 2);

        assertThat(x).containsExactly(new float[] {1f / 3, 2f / 3}, within(FLOAT_ROUNDING));
    }

    @Test
    void softmaxTouchesOnlyItsRange() {
        float[] x = {7f, 0f, 0f, 7f};

        kernels.softmax(x, 1, 2);

        assertThat(x).containsExactly(new float[] {7f, 0.5f, 0.5f, 7f}, within(EXACT));
    }

    @Test
    void ropeRotatesHalvesAtPositionOne() {
        // headDim 4, theta 10000: inverse frequencies 10000^(-0/4) = 1 and 10000^(-2/4) = 0.01.
        float[] cos = {(float) Math.cos(1), (float) Math.cos(0.01)};
        float[] sin = {(float) Math.sin(1), (float) Math.sin(0.01)};
        float[] x = {9f, 1, 2, 3, 4, 1, 2, 3, 4};

        kernels.rope(x, 1, 2, 4, cos, sin);

        float[] head = {-1.9841106f, 1.9599007f, 2.4623779f, 4.0197997f};
        assertThat(x).containsExactly(new float[] {9f, head[0], head[1], head[2], head[3],
                head[0], head[1], head[2], head[3]}, within(FLOAT_ROUNDING));
    }

    @Test
    void rmsNormDividesByRootMeanSquareAndScales() {
        float[] out = new float[3];

        kernels.rmsNorm(new float[] {0f, 3f, 4f}, 1, new float[] {1f, 2f}, 0f, out, 1, 2);

        assertThat(out).containsExactly(new float[] {0f, 0.84852814f, 2.2627417f}, within(FLOAT_ROUNDING));
    }

    @Test
    void swigluMultipliesSiluOfGateByUp() {
        float[] gate = {0f, 1f};

        kernels.swiglu(gate, new float[] {5f, 2f}, 2);

        assertThat(gate).containsExactly(new float[] {0f, 1.4621172f}, within(FLOAT_ROUNDING));
    }

    @Test
    void dotSumsProductsOfTheGivenRanges() {
        float dot = kernels.dot(new float[] {9, 1, 2, 3}, 1, new float[] {4, 5, 6, 9}, 0, 3);

        assertThat(dot).isEqualTo(32f);
    }

    @Test
    void axpyAddsScaledVector() {
        float[] y = {1, 1, 1};

        kernels.axpy(2f, new float[] {9, 1, 2}, 1, y, 1, 2);

        assertThat(y).containsExactly(new float[] {1, 3, 5}, within(EXACT));
    }

    @Test
    void kernelsAreChosenByTheirConfigurationName() {
        assertThat(Kernels.named("scalar")).isSameAs(Kernels.scalar());
        assertThat(Kernels.named("BEST")).isSameAs(Kernels.best());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Kernels.named("gpu"))
                .hasMessageContaining("kernels must be best, vector or scalar, got 'gpu'");
    }
}
