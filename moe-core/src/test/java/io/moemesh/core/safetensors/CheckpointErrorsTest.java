package io.moemesh.core.safetensors;

import static io.moemesh.core.safetensors.SafetensorsTestFiles.bf16;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.f32;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asking a checkpoint for something it does not hold fails with a message a person can act on. */
class CheckpointErrorsTest {

    @TempDir
    Path dir;

    @Test
    void missingTensorNamesTensorAndCheckpoint() {
        SafetensorsTestFiles.write(dir.resolve("model.safetensors"), f32("w", shape(1), 1f));

        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> checkpoint.matrix("model.layers.0.mlp.gate.weight", 8, 4))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("tensor 'model.layers.0.mlp.gate.weight'")
                    .hasMessageContaining("no such tensor");
        }
    }

    @Test
    void matrixOfWrongShapeNamesExpectedAndActualShape() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), bf16("w", shape(2, 3), new float[6]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.matrix("w", 3, 2))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("tensor 'w'")
                    .hasMessageContaining("expected shape [3, 2] but the checkpoint has [2, 3]");
        }
    }

    @Test
    void matrixOfOneDimensionalTensorNamesItsRank() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), f32("norm", shape(4), new float[4]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.matrix("norm", 1, 4))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'norm'")
                    .hasMessageContaining("expected shape [1, 4] but the checkpoint has [4]");
        }
    }

    @Test
    void vectorOfWrongSizeNamesExpectedAndActualShape() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), f32("norm", shape(4), new float[4]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.vector("norm", 5))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("tensor 'norm'")
                    .hasMessageContaining("expected shape [5] but the checkpoint has [4]");
        }
    }

    @Test
    void vectorOfMatrixNamesItsRank() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"), f32("w", shape(2, 2), new float[4]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.vector("w", 4))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'w'")
                    .hasMessageContaining("expected shape [4] but the checkpoint has [2, 2]");
        }
    }

    @Test
    void matrixOfUnsupportedDtypeNamesTheDtype() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                new SafetensorsTestFiles.Tensor("ids", "I64", shape(1, 2), new byte[16]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.matrix("ids", 1, 2))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("tensor 'ids'")
                    .hasMessageContaining("dtype I64 is not supported");
        }
    }

    @Test
    void vectorOfUnsupportedDtypeNamesTheDtype() {
        Path file = SafetensorsTestFiles.write(dir.resolve("m.safetensors"),
                new SafetensorsTestFiles.Tensor("scale", "F8_E4M3", shape(2), new byte[2]));

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThatThrownBy(() -> checkpoint.vector("scale", 2))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'scale'")
                    .hasMessageContaining("dtype F8_E4M3 is not supported");
        }
    }

    @Test
    void indexNamingMissingShardNamesIndexAndShard() {
        Path index = SafetensorsTestFiles.writeIndex(dir, Map.of("w", "model-00001-of-00002.safetensors"));

        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining(dir.resolve("model-00001-of-00002.safetensors").toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void indexPlacingTensorInTheWrongShardNamesBoth() {
        SafetensorsTestFiles.write(dir.resolve("a.safetensors"), f32("x", shape(1), 1f));
        Path index = SafetensorsTestFiles.writeIndex(dir, Map.of("w", "a.safetensors"));

        assertThatThrownBy(() -> Checkpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining(dir.resolve("a.safetensors") + ", which does not contain it");
    }

    @Test
    void indexNamingShardOutsideTheDirectoryIsRefused() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        SafetensorsTestFiles.write(dir.resolve("outside.safetensors"), f32("w", shape(1), 1f));
        Path index = SafetensorsTestFiles.writeIndex(model, Map.of("w", "../outside.safetensors"));

        assertThatThrownBy(() -> Checkpoint.open(model))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("not a file name in the checkpoint directory");
    }

    @Test
    void directoryWithoutCheckpointNamesTheDirectory() {
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("neither model.safetensors.index.json nor model.safetensors");
    }

    @Test
    void missingPathNamesThePath() {
        Path missing = dir.resolve("nope.safetensors");

        assertThatThrownBy(() -> Checkpoint.open(missing))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(missing.toString());
        assertThat(missing).doesNotExist();
    }
}
