package io.moemesh.proto.codec;

import com.google.protobuf.ByteString;
import io.moemesh.core.tensor.BFloat16;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Activations on the wire: {@code [rows, cols]} little-endian row-major bytes, BF16 (rounded to
 * nearest even) or F32. Decoding checks everything a peer could get wrong and says which field.
 */
public final class WireTensors {

    private WireTensors() {
    }

    /**
     * Encodes the first {@code rows × cols} values.
     *
     * @throws IllegalArgumentException when a dimension is negative, {@code values} is shorter than
     *     the shape, or the shape's bytes do not fit one array (an int product would wrap around)
     */
    public static Tensor encode(float[] values, int rows, int cols, DType dtype) {
        int size = byteSize(rows, cols, bytesPerElement(dtype), "shape [" + rows + ", " + cols + "] of " + dtype);
        int n = rows * cols; // fits: size, a multiple of it, did
        if (values.length < n) {
            throw new IllegalArgumentException("shape [" + rows + ", " + cols + "] needs " + n + " values, got " + values.length);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.DTYPE_F32) {
            buffer.asFloatBuffer().put(values, 0, n);
        } else {
            for (int i = 0; i < n; i++) {
                buffer.putShort(i * 2, BFloat16.fromFloat(values[i]));
            }
        }
        return Tensor.newBuilder().setDtype(dtype).addShape(rows).addShape(cols)
                .setData(ByteString.copyFrom(buffer.array())).build();
    }

    /**
     * Decodes a {@code [rows, expectedCols]} tensor; {@code field} names it in errors.
     *
     * @throws InvalidTensorException naming the field and what is wrong with it
     */
    public static float[] decode(Tensor tensor, String field, int expectedRows, int expectedCols) {
        if (tensor.getDtype() != DType.DTYPE_BF16 && tensor.getDtype() != DType.DTYPE_F32) {
            throw new InvalidTensorException(field + ".dtype must be DTYPE_BF16 or DTYPE_F32, got " + tensor.getDtype());
        }
        if (tensor.getShapeCount() != 2) {
            throw new InvalidTensorException(field + ".shape must be [tokens, hidden], got " + tensor.getShapeList());
        }
        if (tensor.getShape(0) != expectedRows) {
            throw new InvalidTensorException(field + ".shape[0] is " + tensor.getShape(0) + " but there are "
                    + expectedRows + " token routes");
        }
        if (tensor.getShape(1) != expectedCols) {
            throw new InvalidTensorException(field + ".shape[1] (hidden size) is " + tensor.getShape(1)
                    + " but the model's hidden size is " + expectedCols);
        }
        // In long: an int product of two dimensions can wrap around to a small positive count.
        long elements = (long) expectedRows * expectedCols;
        if (expectedRows < 0 || expectedCols < 0 || elements > Integer.MAX_VALUE) {
            throw new InvalidTensorException(field + ".shape " + tensor.getShapeList()
                    + " cannot be decoded: dimensions must be >= 0 and hold at most " + Integer.MAX_VALUE + " elements");
        }
        int n = (int) elements;
        int bytes = bytesPerElement(tensor.getDtype());
        if (elements * bytes > Integer.MAX_VALUE) {
            throw new InvalidTensorException(field + ".shape " + tensor.getShapeList() + " of " + tensor.getDtype()
                    + " needs " + elements * bytes + " bytes, more than one message can carry (" + Integer.MAX_VALUE + ")");
        }
        if (tensor.getData().size() != elements * bytes) {
            throw new InvalidTensorException(field + ".data has " + tensor.getData().size() + " bytes; shape "
                    + tensor.getShapeList() + " of " + tensor.getDtype() + " needs " + elements * bytes);
        }
        float[] values = new float[n];
        ByteBuffer buffer = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (tensor.getDtype() == DType.DTYPE_F32) {
            buffer.asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < n; i++) {
                values[i] = BFloat16.toFloat(buffer.getShort(i * 2));
            }
        }
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(values[i])) {
                throw new InvalidTensorException(field + ".data element " + i + " (row " + i / expectedCols
                        + ") is " + values[i] + "; activations must be finite");
            }
        }
        return values;
    }

    /**
     * {@code rows × cols × elementBytes} as an int, checked: each product in exact arithmetic, so a
     * shape whose size wraps around int is refused rather than allocating a small buffer.
     */
    static int byteSize(int rows, int cols, int elementBytes, String what) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(what + ": dimensions must be >= 0");
        }
        try {
            return Math.multiplyExact(Math.multiplyExact(rows, cols), elementBytes);
        } catch (ArithmeticException overflow) {
            throw new IllegalArgumentException(what + " needs " + (long) rows * cols * elementBytes
                    + " bytes, more than an array holds (" + Integer.MAX_VALUE + ")", overflow);
        }
    }

    public static int bytesPerElement(DType dtype) {
        return switch (dtype) {
            case DTYPE_BF16 -> 2;
            case DTYPE_F32 -> 4;
            default -> throw new InvalidTensorException("unsupported dtype " + dtype);
        };
    }

    /** A tensor a peer sent that cannot be used; the message names the field. */
    public static final class InvalidTensorException extends IllegalArgumentException {
        public InvalidTensorException(String message) {
            super(message);
        }
    }
}
