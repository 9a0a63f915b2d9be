package io.moemesh.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A read-only 2-D weight {@code [rows, cols]}, row-major and little-endian, as a Hugging Face
 * {@code nn.Linear} stores it: {@code rows = out_features}, {@code cols = in_features}.
 * The data usually is a slice of a memory-mapped checkpoint; only BF16 and F32 reach the kernels
 * (the checkpoint widens F16 to F32 the first time the matrix is asked for).
 */
public record WeightMatrix(String name, DType dtype, int rows, int cols, MemorySegment data) {

    /** Layouts of one stored element; unaligned because a safetensors slice need not be aligned. */
    public static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public WeightMatrix {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        if (dtype == DType.F16) {
            throw new IllegalArgumentException(name + ": F16 weights must be widened to F32 before use");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape [" + rows + ", " + cols + "] must be positive");
        }
        long expected = (long) rows * cols * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for shape [" + rows + ", "
                    + cols + "] of " + dtype + " (expected " + expected + ")");
        }
    }

    /** Element {@code [row, col]} widened to float. Slow: for tests and one-off reads, not kernels. */
    public float get(int row, int col) {
        long index = (long) row * cols + col;
        return switch (dtype) {
            case BF16 -> bf16ToFloat(data.getAtIndex(BF16_LE, index));
            case F32 -> data.getAtIndex(F32_LE, index);
            case F16 -> throw new IllegalStateException("unreachable: F16 rejected in constructor");
        };
    }

    /** Copies one row, widened to float, into {@code dst[off .. off + cols)} (embedding lookup). */
    public void copyRow(int row, float[] dst, int off) {
        Objects.checkIndex(row, rows);
        long base = (long) row * cols;
        for (int c = 0; c < cols; c++) {
            dst[off + c] = dtype == DType.BF16
                    ? bf16ToFloat(data.getAtIndex(BF16_LE, base + c))
                    : data.getAtIndex(F32_LE, base + c);
        }
    }

    /** bfloat16 is the upper half of an IEEE float32: widening is a 16-bit shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
