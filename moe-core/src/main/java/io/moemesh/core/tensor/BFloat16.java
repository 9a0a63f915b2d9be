package io.moemesh.core.tensor;

/**
 * bfloat16 conversions: the upper 16 bits of an IEEE float32. Narrowing rounds to nearest, ties to
 * even, as {@code torch.Tensor.to(torch.bfloat16)} does, so Java and PyTorch agree bit for bit.
 */
public final class BFloat16 {

    private static final short CANONICAL_NAN = 0x7FC0;

    private BFloat16() {
    }

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short fromFloat(float value) {
        if (Float.isNaN(value)) {
            return CANONICAL_NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** {@code value} rounded to the nearest bfloat16 and widened back. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }
}
