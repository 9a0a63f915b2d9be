package io.moemesh.proto.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.moemesh.proto.internal.v1.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Activations arrive from peers. Contract: {@link WireTensors#decode} either returns exactly
 * {@code rows × cols} finite values, which encode back to the same tensor, or throws an
 * {@link WireTensors.InvalidTensorException} naming the field, whatever the dtype, shape, byte length
 * or expected shape (never an index, array-size or memory error).
 */
class WireTensorsFuzzTest {

    private static final String FIELD = "hidden";

    /** {@code int32 rows | int32 cols} (little-endian), then a serialized {@code moemesh.internal.v1.Tensor}. */
    @FuzzTest
    void decodesAnyTensorOrNamesTheField(byte[] input) {
        if (input.length < 2 * Integer.BYTES) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        int rows = buffer.getInt();
        int cols = buffer.getInt();
        Tensor tensor;
        try {
            tensor = Tensor.parseFrom(buffer);
        } catch (InvalidProtocolBufferException e) {
            return; // not a tensor at all: protobuf's business
        }
        float[] values;
        try {
            values = WireTensors.decode(tensor, FIELD, rows, cols);
        } catch (WireTensors.InvalidTensorException e) {
            assertThat(e).isExactlyInstanceOf(WireTensors.InvalidTensorException.class)
                    .hasMessageContaining(FIELD);
            return;
        }
        assertThat((long) values.length).isEqualTo((long) rows * cols);
        for (float value : values) {
            assertThat(value).isFinite();
        }
        Tensor reencoded = WireTensors.encode(values, rows, cols, tensor.getDtype());
        assertThat(reencoded.getDtype()).isEqualTo(tensor.getDtype());
        assertThat(reencoded.getShapeList()).isEqualTo(tensor.getShapeList());
        assertThat(reencoded.getData()).as("data of %s", Arrays.toString(values)).isEqualTo(tensor.getData());
    }
}
