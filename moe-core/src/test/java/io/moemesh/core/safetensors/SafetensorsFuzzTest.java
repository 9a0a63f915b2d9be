package io.moemesh.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A checkpoint is a file somebody downloaded. Contract: opening one either succeeds or throws a
 * {@link SafetensorsException} naming the file, whatever the bytes (never an index, array-size or
 * memory error from a length or offset the file claims); what opens can be read in full without
 * running past the mapping.
 */
class SafetensorsFuzzTest {

    /** Size of the data buffer the in-memory header target pretends follows the header. */
    private static final long DATA_BYTES = 4096;
    private static final Path HEADER_FILE = Path.of("fuzzed.safetensors");
    private static final String SHARD = "model-00001-of-00001.safetensors";

    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("safetensors-fuzz");
        SafetensorsTestFiles.write(dir.resolve(SHARD), SafetensorsTestFiles.f32("w", new long[] {2}, 1f, 2f),
                SafetensorsTestFiles.bf16("m", new long[] {1, 2}, 3f, 4f));
    }

    @AfterAll
    static void deleteDir() throws IOException {
        for (String name : List.of(SHARD, ShardIndex.FILE_NAME, Checkpoint.SINGLE_FILE_NAME)) {
            Files.deleteIfExists(dir.resolve(name));
        }
        Files.deleteIfExists(dir);
    }

    /** The JSON header alone, in memory: the fastest way into the entry checks. */
    @FuzzTest
    void parsesAnyHeaderOrNamesTheProblem(byte[] json) {
        List<SafetensorsHeader.Entry> entries;
        try {
            entries = SafetensorsHeader.parse(HEADER_FILE, json, DATA_BYTES);
        } catch (SafetensorsException e) {
            assertThat(e).hasMessageStartingWith(HEADER_FILE + ": ");
            return;
        }
        Set<String> names = new HashSet<>();
        for (SafetensorsHeader.Entry entry : entries) {
            assertThat(names.add(entry.info().name())).as("unique name %s", entry.info().name()).isTrue();
            assertThat(entry.info().name()).isNotEqualTo(SafetensorsHeader.METADATA_KEY);
            assertThat(entry.begin()).isBetween(0L, entry.end());
            assertThat(entry.end()).isLessThanOrEqualTo(DATA_BYTES);
            assertThat(Arrays.stream(entry.info().shape()).allMatch(dim -> dim >= 0)).as("shape").isTrue();
            if (entry.info().isSupported()) {
                assertThat(elements(entry.info()) * entry.info().dtype().bytes()).isEqualTo(entry.end() - entry.begin());
            }
        }
    }

    /** A whole {@code .safetensors} file: length prefix, header, data. */
    @FuzzTest
    void opensAnyFileOrNamesTheProblem(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve(Checkpoint.SINGLE_FILE_NAME), bytes);
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.open(file);
        } catch (SafetensorsException e) {
            assertThat(e.file()).isEqualTo(file);
            return;
        }
        try (checkpoint) {
            readEveryTensor(checkpoint);
        }
    }

    /** {@code model.safetensors.index.json} of a sharded checkpoint, next to one real shard. */
    @FuzzTest
    void opensAnyShardIndexOrNamesTheProblem(byte[] index) throws IOException {
        Path file = Files.write(dir.resolve(ShardIndex.FILE_NAME), index);
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.open(dir);
        } catch (SafetensorsException e) {
            assertThat(e.file()).isIn(file, dir.resolve(SHARD), dir.resolve(ShardIndex.FILE_NAME));
            return;
        }
        try (checkpoint) {
            assertThat(Set.of("w", "m")).containsAll(checkpoint.tensorNames());
            readEveryTensor(checkpoint);
        }
    }

    /** Reads every element of every tensor the engine could ask for: 1-D as a vector, 2-D as a matrix. */
    private static void readEveryTensor(Checkpoint checkpoint) {
        for (String name : checkpoint.tensorNames()) {
            TensorInfo info = checkpoint.info(name);
            long[] shape = info.shape();
            if (!info.isSupported() || elements(info) == 0) {
                continue; // the engine asks only for supported, non-empty tensors
            }
            if (shape.length == 1) {
                assertThat(checkpoint.vector(name, Math.toIntExact(shape[0]))).hasSize((int) shape[0]);
            } else if (shape.length == 2) {
                WeightMatrix matrix = checkpoint.matrix(name, Math.toIntExact(shape[0]), Math.toIntExact(shape[1]));
                float[] row = new float[matrix.cols()];
                for (int r = 0; r < matrix.rows(); r++) {
                    matrix.copyRow(r, row, 0);
                }
                assertThat(matrix.dtype()).isIn(DType.BF16, DType.F32);
            }
        }
    }

    private static long elements(TensorInfo info) {
        long elements = 1;
        for (long dim : info.shape()) {
            elements *= dim;
        }
        return elements;
    }
}
