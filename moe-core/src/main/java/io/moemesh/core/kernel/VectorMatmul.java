package io.moemesh.core.kernel;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x · Wᵀ} with the Vector API, for BF16 and F32 weights read straight from the
 * (memory-mapped) segment, accumulating in float32.
 *
 * <p>Tile shape: one weight row × four batch rows. Each weight vector is loaded (and, for BF16,
 * widened) once and feeds four independent FMA chains, one per batch row; that reuse is why
 * tokens routed to the same expert are batched. Rows are the outer loop so that a weight row is
 * streamed from memory once and any batch rows past the first four re-read it from L1.
 * Batch rows left over (batch % 4) use a one-by-one tile with the same arithmetic per row.
 */
final class VectorMatmul {

    private static final VectorSpecies<Float> F = VectorMath.F;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Half the bits of {@link #F}, so that one short load widens into exactly one float vector. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int TILE = 4;

    private VectorMatmul() {
    }

    static void matmul(WeightMatrix w, float[] x, int batch, float[] out) {
        assert x.length >= batch * w.cols() : "x holds " + x.length + " floats, need " + batch * w.cols();
        assert out.length >= batch * w.rows() : "out holds " + out.length + " floats, need " + batch * w.rows();
        boolean bf16 = w.dtype() == DType.BF16;
        for (int r = 0; r < w.rows(); r++) {
            int b = 0;
            for (; b + TILE <= batch; b += TILE) {
                tile4(w, bf16, r, x, b, out);
            }
            for (; b < batch; b++) {
                out[b * w.rows() + r] = tile1(w, bf16, r, x, b);
            }
        }
    }

    /**
     * bfloat16 is the upper half of a float32: sign-extend each short to an int, shift it into the
     * high half (the sign-extended bits fall off the top) and reinterpret the lanes as floats.
     */
    private static FloatVector bf16Chunk(MemorySegment data, long element) {
        ShortVector bits = ShortVector.fromMemorySegment(S, data, element * Short.BYTES, ByteOrder.LITTLE_ENDIAN);
        IntVector widened = (IntVector) bits.convertShape(VectorOperators.S2I, I, 0);
        return widened.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector f32Chunk(MemorySegment data, long element) {
        return FloatVector.fromMemorySegment(F, data, element * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code bf16} is loop-invariant in every caller, so the JIT unswitches the loops on it. */
    private static FloatVector chunk(MemorySegment data, long element, boolean bf16) {
        return bf16 ? bf16Chunk(data, element) : f32Chunk(data, element);
    }

    private static float at(MemorySegment data, long element, boolean bf16) {
        return bf16 ? bf16At(data, element) : f32At(data, element);
    }

    private static float bf16At(MemorySegment data, long element) {
        return WeightMatrix.bf16ToFloat(data.getAtIndex(WeightMatrix.BF16_LE, element));
    }

    private static float f32At(MemorySegment data, long element) {
        return data.getAtIndex(WeightMatrix.F32_LE, element);
    }

    private static void tile4(WeightMatrix w, boolean bf16, int r, float[] x, int b, float[] out) {
        int cols = w.cols();
        MemorySegment data = w.data();
        long row = (long) r * cols;
        int x0 = b * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            FloatVector wv = chunk(data, row + c, bf16);
            acc0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), acc0);
            acc1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), acc1);
            acc2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), acc2);
            acc3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), acc3);
        }
        float s0 = VectorMath.sum(acc0);
        float s1 = VectorMath.sum(acc1);
        float s2 = VectorMath.sum(acc2);
        float s3 = VectorMath.sum(acc3);
        for (; c < cols; c++) {
            float wc = at(data, row + c, bf16);
            s0 += wc * x[x0 + c];
            s1 += wc * x[x1 + c];
            s2 += wc * x[x2 + c];
            s3 += wc * x[x3 + c];
        }
        store4(out, w.rows(), b, r, s0, s1, s2, s3);
    }


    private static void store4(float[] out, int rows, int b, int r, float s0, float s1, float s2, float s3) {
        out[b * rows + r] = s0;
        out[(b + 1) * rows + r] = s1;
        out[(b + 2) * rows + r] = s2;
        out[(b + 3) * rows + r] = s3;
    }

    /**
     * One batch row, with exactly the arithmetic of one lane of {@link #tile4}: a token's result
     * does not depend on where it sits in the batch (batch invariance). Micro-batching merges
     * tokens of different requests, and the distributed system must reproduce the in-process
     * engine bit for bit, so this matters more than the extra accumulator a lone row could use.
     */
    private static float tile1(WeightMatrix w, boolean bf16, int r, float[] x, int b) {
        int cols = w.cols();
        MemorySegment data = w.data();
        long row = (long) r * cols;
        int x0 = b * cols;
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (int bound = F.loopBound(cols); c < bound; c += F.length()) {
            acc = chunk(data, row + c, bf16).fma(FloatVector.fromArray(F, x, x0 + c), acc);
        }
        float sum = VectorMath.sum(acc);
        for (; c < cols; c++) {
            sum += at(data, row + c, bf16) * x[x0 + c];
        }
        return sum;
    }
}
