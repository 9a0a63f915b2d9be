package io.moemesh.core.safetensors;

import io.moemesh.core.tensor.DType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a safetensors header says about one tensor.
 *
 * @param dtype     the element type, or {@code null} when moe-mesh does not read it (I64, F8, ...)
 * @param dtypeName the dtype exactly as the header spells it
 * @param shape     dimensions, outermost first; empty for a scalar
 * @param file      the .safetensors file holding the data
 */
public record TensorInfo(String name, DType dtype, String dtypeName, long[] shape, Path file) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtypeName, "dtypeName");
        Objects.requireNonNull(file, "file");
        shape = shape.clone();
    }

    /** A copy: the record stays immutable. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public boolean isSupported() {
        return dtype != null;
    }

    public String shapeText() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && dtypeName.equals(that.dtypeName)
                && Arrays.equals(shape, that.shape)
                && file.equals(that.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, dtypeName, Arrays.hashCode(shape), file);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + ", " + dtypeName + " " + shapeText() + ", " + file + "]";
    }
}
