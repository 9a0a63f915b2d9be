package io.moemesh.proto.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.moemesh.core.tensor.BFloat16;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.Tensor;
import org.junit.jupiter.api.Test;

class WireTensorsTest {

    private static final float[] VALUES = {1f, -2.5f, 3.14159f, 1e-3f, 0f, 65504f};

    @Test
    void f32RoundTripsExactly() {
        Tensor t = WireTensors.encode(VALUES, 2, 3, DType.DTYPE_F32);

        assertThat(t.getData().size()).isEqualTo(24);
        assertThat(WireTensors.decode(t, "hidden", 2, 3)).containsExactly(VALUES);
    }

    @Test
    void bf16RoundTripsToTheRoundedValues() {
        Tensor t = WireTensors.encode(VALUES, 3, 2, DType.DTYPE_BF16);

        float[] decoded = WireTensors.decode(t, "hidden", 3, 2);

        assertThat(t.getData().size()).isEqualTo(12);
        for (int i = 0; i < VALUES.length; i++) {
            assertThat(decoded[i]).isEqualTo(BFloat16.round(VALUES[i]));
        }
    }

    @Test
    void namesAWrongHiddenSize() {
        Tensor t = WireTensors.encode(VALUES, 2, 3, DType.DTYPE_F32);

        assertThatThrownBy(() -> WireTensors.decode(t, "hidden", 2, 4))
                .hasMessage("hidden.shape[1] (hidden size) is 3 but the model's hidden size is 4");
    }

    @Test
    void namesAByteLengthThatDoesNotMatchTheShape() {
        Tensor t = WireTensors.encode(VALUES, 2, 3, DType.DTYPE_F32).toBuilder()
                .setData(ByteString.copyFrom(new byte[23])).build();

        assertThatThrownBy(() -> WireTensors.decode(t, "hidden", 2, 3))
                .hasMessageContaining("hidden.data has 23 bytes");
    }

    @Test
    void rejectsNonFiniteActivations() {
        Tensor t = WireTensors.encode(new float[] {1f, Float.NaN}, 1, 2, DType.DTYPE_F32);

        assertThatThrownBy(() -> WireTensors.decode(t, "hidden", 1, 2))
                .hasMessageContaining("element 1 (row 0) is NaN");
    }

    @Test
    void rejectsAnUnspecifiedDtype() {
        Tensor t = WireTensors.encode(VALUES, 2, 3, DType.DTYPE_F32).toBuilder().setDtype(DType.DTYPE_UNSPECIFIED).build();

        assertThatThrownBy(() -> WireTensors.decode(t, "hidden", 2, 3)).hasMessageContaining("hidden.dtype");
    }

    @Test
    void refusesToEncodeAShapeWhoseSizeWrapsAroundInt() {
        // 65536 × 65536 is 2^32: as an int product 0, which would allocate an empty buffer
        assertThatThrownBy(() -> WireTensors.encode(new float[0], 65_536, 65_536, DType.DTYPE_F32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shape [65536, 65536]")
                .hasMessageContaining("17179869184 bytes");
    }

    @Test
    void refusesToEncodeAShapeWhoseBytesOverflowEvenThoughItsElementsFit() {
        // 2^29 elements fit an int; × 4 bytes of F32 does not
        assertThatThrownBy(() -> WireTensors.encode(new float[0], 1 << 15, 1 << 14, DType.DTYPE_F32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("of DTYPE_F32 needs 2147483648 bytes");
    }

    @Test
    void refusesToEncodeFewerValuesThanTheShapeOrANegativeDimension() {
        assertThatThrownBy(() -> WireTensors.encode(VALUES, 3, 3, DType.DTYPE_BF16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 9 values, got 6");
        assertThatThrownBy(() -> WireTensors.encode(VALUES, -1, 3, DType.DTYPE_BF16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimensions must be >= 0");
    }

    @Test
    void decodeNamesAShapeWhoseBytesDoNotFitAMessage() {
        Tensor huge = Tensor.newBuilder().setDtype(DType.DTYPE_F32).addShape(1 << 15).addShape(1 << 14)
                .setData(ByteString.copyFrom(new byte[16])).build();

        assertThatThrownBy(() -> WireTensors.decode(huge, "hidden", 1 << 15, 1 << 14))
                .isInstanceOf(WireTensors.InvalidTensorException.class)
                .hasMessageContaining("hidden.shape").hasMessageContaining("2147483648 bytes");
    }

    @Test
    void decodeNamesADimensionProductThatWrapsAroundInt() {
        Tensor wrapped = Tensor.newBuilder().setDtype(DType.DTYPE_BF16).addShape(65_536).addShape(65_536).build();

        assertThatThrownBy(() -> WireTensors.decode(wrapped, "hidden", 65_536, 65_536))
                .isInstanceOf(WireTensors.InvalidTensorException.class).hasMessageContaining("hidden.shape");
    }
}
