package io.moemesh.core.safetensors;

import static io.moemesh.core.safetensors.SafetensorsTestFiles.bf16;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.f16;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.f16Bits;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.f32;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading well-formed checkpoints, single-file and sharded. */
class CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void readsBf16MatrixValues() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                bf16("w", shape(2, 3), 1f, -2f, 0.5f, 3.25f, -0f, 1024f));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            WeightMatrix w = checkpoint.matrix("w", 2, 3);

            assertThat(w.dtype()).isEqualTo(DType.BF16);
            assertThat(rows(w)).isEqualTo(new float[][] {{1f, -2f, 0.5f}, {3.25f, -0f, 1024f}});
        }
    }

    @Test
    void readsF32MatrixValues() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                f32("w", shape(3, 2), 0.1f, -7.5e-9f, Float.MAX_VALUE, 1f, -1f, 42f));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            WeightMatrix w = checkpoint.matrix("w", 3, 2);

            assertThat(w.dtype()).isEqualTo(DType.F32);
            assertThat(rows(w)).isEqualTo(new float[][] {{0.1f, -7.5e-9f}, {Float.MAX_VALUE, 1f}, {-1f, 42f}});
        }
    }

    @Test
    void widensF16MatrixToF32() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                f16("w", shape(2, 2), 1.5f, -0.25f, 65504f, 0.000061035156f));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            WeightMatrix w = checkpoint.matrix("w", 2, 2);

            assertThat(w.dtype()).isEqualTo(DType.F32);
            assertThat(rows(w)).isEqualTo(new float[][] {{1.5f, -0.25f}, {65504f, 0.000061035156f}});
            assertThat(checkpoint.matrix("w", 2, 2)).isSameAs(w);
        }
    }

    @Test
    void readsVectorsOfEveryDtype() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                bf16("a", shape(3), 1f, -2f, 0.5f),
                f16("b", shape(3), 1f, -2f, 0.5f),
                f32("c", shape(3), 1f, -2f, 0.5f));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(checkpoint.vector("a", 3)).containsExactly(1f, -2f, 0.5f);
            assertThat(checkpoint.vector("b", 3)).containsExactly(1f, -2f, 0.5f);
            assertThat(checkpoint.vector("c", 3)).containsExactly(1f, -2f, 0.5f);
        }
    }

    @Test
    void widensF16SubnormalsAndNegativesToKnownValues() {
        short[] bits = {0x0001, (short) 0x8001, 0x03FF, 0x0400, (short) 0xC000, (short) 0x8000, 0x7BFF,
            (short) 0xFC00};
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), f16Bits("v", shape(8), bits));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(checkpoint.vector("v", 8)).containsExactly(
                    0x1p-24f, -0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, -2f, -0f, 65504f, Float.NEGATIVE_INFINITY);
        }
    }

    @Test
    void widensEveryF16BitPatternExactly() {
        short[] bits = new short[1 << 16];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) i;
        }
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                f16Bits("vector", shape(bits.length), bits), f16Bits("matrix", shape(256, 256), bits));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            float[] vector = checkpoint.vector("vector", bits.length);
            WeightMatrix matrix = checkpoint.matrix("matrix", 256, 256);
            for (int i = 0; i < bits.length; i++) {
                int expected = Float.floatToRawIntBits(Float.float16ToFloat(bits[i]));
                assertThat(Float.floatToRawIntBits(vector[i])).as("vector, bits 0x%04x", i).isEqualTo(expected);
                assertThat(Float.floatToRawIntBits(matrix.get(i / 256, i % 256))).as("matrix, bits 0x%04x", i)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void describesEachTensorInInfo() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                bf16("w", shape(2, 3), new float[6]),
                new SafetensorsTestFiles.Tensor("ids", "I64", shape(2), new byte[16]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(checkpoint.info("w")).isEqualTo(new TensorInfo("w", DType.BF16, "BF16", shape(2, 3), file));
            assertThat(checkpoint.info("ids").isSupported()).isFalse();
            assertThat(checkpoint.info("ids").dtypeName()).isEqualTo("I64");
        }
    }

    @Test
    void listsTensorNamesWithoutMetadata() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                f32("b", shape(1), 1f), f32("a", shape(1), 2f));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(checkpoint.tensorNames()).containsExactly("b", "a");
            assertThat(checkpoint.contains("a")).isTrue();
            assertThat(checkpoint.contains(SafetensorsHeader.METADATA_KEY)).isFalse();
        }
    }

    @Test
    void readsTensorsWhenDataStartsAtAnOddOffset() {
        SafetensorsTestFiles.Tensor tensor = bf16("w", shape(1, 3), 1f, 2f, 3f);
        String header = SafetensorsTestFiles.header(tensor);
        String oddLengthHeader = header.length() % 2 == 0 ? header + " " : header;
        Path file = SafetensorsTestFiles.writeRaw(dir.resolve("m.safetensors"), oddLengthHeader,
                SafetensorsTestFiles.data(tensor));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(rows(checkpoint.matrix("w", 1, 3))).isEqualTo(new float[][] {{1f, 2f, 3f}});
        }
    }

    @Test
    void opensModelDirectoryWithSingleFile() {
        SafetensorsTestFiles.write(dir.resolve("model.safetensors"), f32("w", shape(1), 5f));

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.vector("w", 1)).containsExactly(5f);
        }
    }

    @Test
    void opensShardedCheckpointThroughIndex() {
        Path first = SafetensorsTestFiles.write(dir.resolve("model-00001-of-00002.safetensors"),
                f32("embed", shape(2, 2), 1f, 2f, 3f, 4f), f32("norm", shape(2), 5f, 6f));
        Path second = SafetensorsTestFiles.write(dir.resolve("model-00002-of-00002.safetensors"),
                bf16("lm_head", shape(1, 2), 7f, 8f));
        SafetensorsTestFiles.writeIndex(dir, Map.of(
                "embed", first.getFileName().toString(),
                "norm", first.getFileName().toString(),
                "lm_head", second.getFileName().toString()));

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThat(checkpoint.tensorNames()).containsExactlyInAnyOrder("embed", "norm", "lm_head");
            assertThat(rows(checkpoint.matrix("embed", 2, 2))).isEqualTo(new float[][] {{1f, 2f}, {3f, 4f}});
            assertThat(checkpoint.vector("norm", 2)).containsExactly(5f, 6f);
            assertThat(rows(checkpoint.matrix("lm_head", 1, 2))).isEqualTo(new float[][] {{7f, 8f}});
            assertThat(checkpoint.info("lm_head").file()).isEqualTo(second);
        }
    }

    @Test
    void refusesReadsAfterClose() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), f32("w", shape(1), 5f));
        Checkpoint checkpoint = Checkpoint.open(file);

        checkpoint.close();
        checkpoint.close();

        assertThatThrownBy(() -> checkpoint.vector("w", 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    private static float[][] rows(WeightMatrix w) {
        float[][] rows = new float[w.rows()][w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            w.copyRow(r, rows[r], 0);
        }
        return rows;
    }
}
