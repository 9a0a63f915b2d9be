package io.moemesh.core.tensor;

import java.util.Locale;

/** Element types a checkpoint may store. Names follow the safetensors header ("BF16", "F16", "F32"). */
public enum DType {
    BF16(2),
    F16(2),
    F32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses a safetensors dtype name; returns null for a dtype moe-mesh does not read. */
    public static DType fromSafetensorsName(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "BF16" -> BF16;
            case "F16" -> F16;
            case "F32" -> F32;
            default -> null;
        };
    }
}
