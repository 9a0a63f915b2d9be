package io.moemesh.core.kernel;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Weight matrices and inputs for kernel tests, built in memory the way a checkpoint lays them out. */
final class TestMatrices {

    private TestMatrices() {
    }

    static WeightMatrix f32(String name, int rows, int cols, float... values) {
        MemorySegment data = Arena.ofAuto().allocate((long) values.length * Float.BYTES);
        for (int i = 0; i < values.length; i++) {
            data.setAtIndex(WeightMatrix.F32_LE, i, values[i]);
        }
        return new WeightMatrix(name, DType.F32, rows, cols, data);
    }

    /** Rounds each value towards zero to bfloat16 (drops the low 16 bits), as a truncating cast would. */
    static WeightMatrix bf16(String name, int rows, int cols, float... values) {
        return bf16At(name, rows, cols, 0, values);
    }

    /** Like {@link #bf16} but with the data starting {@code misalignment} bytes into its allocation. */
    static WeightMatrix bf16At(String name, int rows, int cols, int misalignment, float... values) {
        long bytes = (long) values.length * Short.BYTES;
        MemorySegment data = Arena.ofAuto().allocate(bytes + misalignment).asSlice(misalignment, bytes);
        for (int i = 0; i < values.length; i++) {
            data.setAtIndex(WeightMatrix.BF16_LE, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
        }
        return new WeightMatrix(name, DType.BF16, rows, cols, data);
    }

    static WeightMatrix random(DType dtype, int rows, int cols, long seed) {
        float[] values = uniform(rows * cols, seed);
        return dtype == DType.BF16 ? bf16("random", rows, cols, values) : f32("random", rows, cols, values);
    }

    /** Values uniform in [-1, 1), so sums mix signs as real activations do. */
    static float[] uniform(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }
}
