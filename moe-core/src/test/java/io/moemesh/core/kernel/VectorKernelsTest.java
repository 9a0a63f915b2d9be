package io.moemesh.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Vector API kernels must agree with the scalar reference on shapes that are not multiples of the lane count. */
class VectorKernelsTest {

    /**
     * Float32 rounds each addition to 2^-24 of the running sum. Two implementations that sum n
     * terms in different orders (lane-wise partial sums, FMA instead of multiply-then-add) can each
     * be off by about n·2^-24 of Σ|termᵢ| (Higham, Accuracy and Stability of Numerical Algorithms,
     * §4.2), so they may differ by n·2^-23 of it. A dropped or doubled term is off by ~1/n of it,
     * hundreds of times more for every n tested here.
     */
    private static final double SUMMATION_ERROR_PER_TERM = 0x1p-23;

    /** A few float roundings of one element (exp within 1 ulp, a division, a product): 2^-20 is 8 ulps. */
    private static final double ELEMENTWISE_RELATIVE_ERROR = 0x1p-20;

    private static final long SEED = 20240611L;

    private final Kernels scalar = Kernels.scalar();
    private final Kernels vector = Kernels.vector();

    static Stream<Arguments> matmulShapes() {
        return Stream.of(DType.BF16, DType.F32).flatMap(dtype ->
                IntStream.of(1, 3, 17, 64).boxed().flatMap(rows ->
                        IntStream.of(1, 7, 15, 16, 33, 100, 257).boxed().flatMap(cols ->
                                IntStream.of(1, 3, 8).mapToObj(batch -> Arguments.of(dtype, rows, cols, batch)))));
    }

    @ParameterizedTest(name = "{0} [{1} x {2}] batch {3}")
    @MethodSource("matmulShapes")
    void matmulMatchesScalarOnAwkwardShapes(DType dtype, int rows, int cols, int batch) {
        WeightMatrix w = TestMatrices.random(dtype, rows, cols, SEED + rows * 1000L + cols);
        float[] x = TestMatrices.uniform(batch * cols, SEED + batch);

        assertMatmulAgrees(w, x, batch);
    }

    @Test
    void matmulReadsBf16WeightsAtOddAddresses() {
        // A tensor starts wherever its safetensors header ends, so BF16 data may sit at an odd byte.
        WeightMatrix w = TestMatrices.bf16At("odd", 5, 37, 1, TestMatrices.uniform(5 * 37, SEED));
        float[] x = TestMatrices.uniform(4 * 37, SEED + 1);

        assertMatmulAgrees(w, x, 4);
    }

    /**
     * A token's output must not depend on the batch it is computed in (tile of 4 or leftover
     * row): micro-batching regroups tokens, and distributed results must equal in-process ones bit
     * for bit.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"BF16", "F32"})
    void matmulIsBatchInvariantBitForBit(String dtypeName) {
        DType dtype = DType.valueOf(dtypeName);
        int rows = 19;
        int cols = 203;
        int batch = 11; // two tiles of 4 and three leftover rows
        WeightMatrix w = TestMatrices.random(dtype, rows, cols, SEED);
        float[] x = TestMatrices.uniform(batch * cols, SEED + 7);
        float[] batched = new float[batch * rows];
        vector.matmul(w, x, batch, batched);

        for (int b = 0; b < batch; b++) {
            float[] alone = new float[rows];
            vector.matmul(w, java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols), 1, alone);
            assertThat(java.util.Arrays.copyOfRange(batched, b * rows, (b + 1) * rows)).as("batch row %d", b)
                    .containsExactly(alone);
        }
    }

    private void assertMatmulAgrees(WeightMatrix w, float[] x, int batch) {
        float[] expected = new float[batch * w.rows()];
        float[] actual = new float[batch * w.rows()];
        scalar.matmul(w, x, batch, expected);
        vector.matmul(w, x, batch, actual);

        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < w.rows(); r++) {
                double magnitude = 0;
                for (int c = 0; c < w.cols(); c++) {
                    magnitude += Math.abs(w.get(r, c) * x[b * w.cols() + c]);
                }
                int i = b * w.rows() + r;
                assertThat(actual[i]).as("out[batch %d, row %d]", b, r)
                        .isCloseTo(expected[i], within(summationTolerance(w.cols(), magnitude)));
            }
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {1, 7, 16, 33, 257})
    void rmsNormMatchesScalar(int size) {
        float[] x = TestMatrices.uniform(size + 3, SEED);
        float[] weight = TestMatrices.uniform(size, SEED + 1);
        float[] expected = new float[size + 5];
        float[] actual = new float[size + 5];

        scalar.rmsNorm(x, 3, weight, 1e-5f, expected, 5, size);
        vector.rmsNorm(x, 3, weight, 1e-5f, actual, 5, size);

        // The scale comes from a sum of n squares, so every element inherits that sum's error.
        for (int i = 0; i < actual.length; i++) {
            float tolerance = summationTolerance(size, Math.abs(expected[i])) + elementTolerance(expected[i]);
            assertThat(actual[i]).as("out[%d]", i).isCloseTo(expected[i], within(tolerance));
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {1, 7, 16, 33, 257})
    void softmaxMatchesScalar(int size) {
        float[] expected = TestMatrices.uniform(size + 2, SEED);
        for (int i = 0; i < expected.length; i++) {
            expected[i] *= 20f;
        }
        float[] actual = expected.clone();

        scalar.softmax(expected, 2, size);
        vector.softmax(actual, 2, size);

        for (int i = 0; i < actual.length; i++) {
            float tolerance = summationTolerance(size, Math.abs(expected[i])) + elementTolerance(expected[i]);
            assertThat(actual[i]).as("x[%d]", i).isCloseTo(expected[i], within(tolerance));
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {1, 7, 16, 33, 257})
    void swigluMatchesScalar(int size) {
        float[] expected = TestMatrices.uniform(size, SEED);
        for (int i = 0; i < size; i++) {
            expected[i] *= 30f;
        }
        float[] actual = expected.clone();
        float[] up = TestMatrices.uniform(size, SEED + 1);

        scalar.swiglu(expected, up, size);
        vector.swiglu(actual, up, size);

        for (int i = 0; i < size; i++) {
            assertThat(actual[i]).as("gate[%d]", i).isCloseTo(expected[i], within(elementTolerance(expected[i])));
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {1, 7, 16, 33, 257})
    void dotMatchesScalar(int size) {
        float[] a = TestMatrices.uniform(size + 1, SEED);
        float[] b = TestMatrices.uniform(size + 2, SEED + 1);
        double magnitude = 0;
        for (int i = 0; i < size; i++) {
            magnitude += Math.abs(a[1 + i] * b[2 + i]);
        }

        float expected = scalar.dot(a, 1, b, 2, size);
        float actual = vector.dot(a, 1, b, 2, size);

        assertThat(actual).isCloseTo(expected, within(summationTolerance(size, magnitude)));
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {1, 7, 16, 33, 257})
    void axpyMatchesScalar(int size) {
        float[] x = TestMatrices.uniform(size + 1, SEED);
        float[] before = TestMatrices.uniform(size + 3, SEED + 1);
        float[] expected = before.clone();
        float[] actual = before.clone();

        scalar.axpy(0.75f, x, 1, expected, 3, size);
        vector.axpy(0.75f, x, 1, actual, 3, size);

        // Each element is one multiply-add, two roundings apart at most (FMA rounds once), each
        // relative to the operands rather than the result, which cancellation can make tiny.
        for (int i = 0; i < size; i++) {
            float operands = Math.abs(0.75f * x[1 + i]) + Math.abs(before[3 + i]);
            assertThat(actual[3 + i]).as("y[%d]", 3 + i).isCloseTo(expected[3 + i], within(2 * Math.ulp(operands)));
        }
        assertThat(actual).startsWith(before[0], before[1], before[2]);
    }

    @Test
    void softmaxOfLargeLogitsStaysFinite() {
        float[] x = {1000f, 1001f};

        vector.softmax(x, 0, 2);

        assertThat(x).containsExactly(new float[] {0.26894142f, 0.7310586f}, within(1e-6f));
    }

    @Test
    void scalarSoftmaxOfLargeLogitsStaysFinite() {
        float[] x = {1000f, 1001f};

        scalar.softmax(x, 0, 2);

        assertThat(x).containsExactly(new float[] {0.26894142f, 0.7310586f}, within(1e-6f));
    }

    @Test
    void bestPicksVectorKernelsWhenTheModuleIsPresent() {
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        assertThat(Kernels.best()).isSameAs(Kernels.vector());
    }

    private static float summationTolerance(int n, double magnitude) {
        return (float) (SUMMATION_ERROR_PER_TERM * n * magnitude);
    }

    private static float elementTolerance(float expected) {
        return (float) (ELEMENTWISE_RELATIVE_ERROR * Math.abs(expected)) + Float.MIN_NORMAL;
    }
}
