package io.moemesh.core.safetensors;

import static io.moemesh.core.safetensors.SafetensorsTestFiles.f32;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.json;
import static io.moemesh.core.safetensors.SafetensorsTestFiles.shape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.databind.node.ObjectNode;

/**
 * Broken files are refused when the checkpoint is opened, with a message naming the file and the
 * tensor, so that no later read can run past a mapping (which on a truncated file means SIGBUS).
 */
class CorruptFileTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("broken.safetensors");
    }

    @Test
    void rejectsFileShorterThanEightBytes() {
        Path file = SafetensorsTestFiles.writeBytes(file(), new byte[5]);

        assertOpenFails(file).hasMessageContaining("5 bytes");
    }

    @Test
    void rejectsHeaderLengthPastEndOfFile() {
        Path file = SafetensorsTestFiles.writeRaw(file(), 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);

        assertOpenFails(file).hasMessageContaining("header length 1000 runs past the end of the file");
    }

    @ParameterizedTest(name = "header length {0}")
    @ValueSource(longs = {-1L, 1L << 40})
    void rejectsAbsurdHeaderLength(long headerLength) {
        Path file = SafetensorsTestFiles.writeRaw(file(), headerLength, "{}".getBytes(StandardCharsets.UTF_8),
                new byte[0]);

        assertOpenFails(file).hasMessageContaining("header length " + Long.toUnsignedString(headerLength))
                .hasMessageContaining("absurd");
    }

    @Test
    void rejectsHeaderThatIsNotJson() {
        Path file = SafetensorsTestFiles.writeRaw(file(), json("{'w': {'dtype': "), new byte[0]);

        assertOpenFails(file).hasMessageContaining("not valid JSON");
    }

    @Test
    void rejectsHeaderThatIsNotAnObject() {
        Path file = SafetensorsTestFiles.writeRaw(file(), "[1, 2]", new byte[0]);

        assertOpenFails(file).hasMessageContaining("not a JSON object");
    }

    @Test
    void rejectsEntryThatIsNotAnObject() {
        Path file = SafetensorsTestFiles.writeRaw(file(), json("{'w': 3}"), new byte[0]);

        assertOpenFails(file, "w").hasMessageContaining("not a JSON object");
    }

    @ParameterizedTest(name = "without {0}")
    @ValueSource(strings = {"dtype", "shape", "data_offsets"})
    void rejectsEntryMissingAField(String field) {
        SafetensorsTestFiles.Tensor tensor = f32("w", shape(2), 1f, 2f);
        ObjectNode header = (ObjectNode) SafetensorsHeader.JSON.readTree(SafetensorsTestFiles.header(tensor));
        ((ObjectNode) header.get("w")).remove(field);
        Path file = SafetensorsTestFiles.writeRaw(file(), header.toString(), tensor.data());

        assertOpenFails(file, "w").hasMessageContaining("no '" + field + "'");
    }

    @Test
    void rejectsBeginAfterEnd() {
        Path file = SafetensorsTestFiles.writeRaw(file(),
                json("{'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [8, 4]}}"), new byte[8]);

        assertOpenFails(file, "w").hasMessageContaining("begin 8 is after end 4");
    }

    @Test
    void rejectsEndPastDataBuffer() {
        Path file = SafetensorsTestFiles.writeRaw(file(),
                json("{'w': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 12]}}"), new byte[8]);

        assertOpenFails(file, "w").hasMessageContaining("end 12 is past the end of the data buffer (8 bytes");
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        Path file = SafetensorsTestFiles.write(file(), f32("a", shape(2), 1f, 2f), f32("b", shape(2), 3f, 4f));
        byte[] bytes = Files.readAllBytes(file);
        SafetensorsTestFiles.writeBytes(file, Arrays.copyOf(bytes, bytes.length - 1));

        assertOpenFails(file, "b").hasMessageContaining("truncated");
    }

    @Test
    void rejectsByteLengthThatDisagreesWithShape() {
        Path file = SafetensorsTestFiles.writeRaw(file(),
                json("{'w': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 8]}}"), new byte[8]);

        assertOpenFails(file, "w").hasMessageContaining("8 bytes of data for F32 shape [3] (expected 12)");
    }

    @Test
    void rejectsNegativeDimension() {
        Path file = SafetensorsTestFiles.writeRaw(file(),
                json("{'w': {'dtype': 'F32', 'shape': [-1], 'data_offsets': [0, 0]}}"), new byte[0]);

        assertOpenFails(file, "w").hasMessageContaining("non-negative integers");
    }

    @Test
    void rejectsShapeWhoseElementCountOverflows() {
        Path file = SafetensorsTestFiles.writeRaw(file(),
                json("{'w': {'dtype': 'F32', 'shape': [4294967296, 4294967296], 'data_offsets': [0, 0]}}"),
                new byte[0]);

        assertOpenFails(file, "w").hasMessageContaining("more elements than any file can hold");
    }

    @Test
    void rejectsDuplicateTensorNames() {
        Path file = SafetensorsTestFiles.writeRaw(file(), json("{"
                + "'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}, "
                + "'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 8]}}"), new byte[8]);

        assertOpenFails(file).hasMessageContaining("Duplicate Object property \"w\"");
    }

    @Test
    void acceptsDtypesItCannotReadUntilOneIsRead() {
        Path file = SafetensorsTestFiles.writeRaw(file(), json("{"
                + "'scale': {'dtype': 'F8_E4M3', 'shape': [2], 'data_offsets': [0, 2]}, "
                + "'future': {'dtype': 'Q4_X', 'shape': [3], 'data_offsets': [2, 5]}}"), new byte[5]);

        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertThat(checkpoint.tensorNames()).containsExactly("scale", "future");
            assertThat(checkpoint.info("future").dtypeName()).isEqualTo("Q4_X");
        }
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path file) {
        return assertThatThrownBy(() -> Checkpoint.open(file).close())
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(file.toString());
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Path file, String tensor) {
        return assertOpenFails(file).hasMessageContaining("tensor '" + tensor + "'");
    }
}
