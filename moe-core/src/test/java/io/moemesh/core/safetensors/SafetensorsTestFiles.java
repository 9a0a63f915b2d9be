package io.moemesh.core.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes small .safetensors files for tests, well-formed or deliberately broken. A test-only
 * writer: the engine never writes checkpoints.
 */
final class SafetensorsTestFiles {

    /** A tensor to write: its header fields and raw little-endian bytes. */
    record Tensor(String name, String dtype, long[] shape, byte[] data) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SafetensorsTestFiles() {
    }

    static Tensor f32(String name, long[] shape, float... values) {
        ByteBuffer bytes = little(values.length * Float.BYTES);
        for (float value : values) {
            bytes.putFloat(value);
        }
        return new Tensor(name, "F32", shape, bytes.array());
    }

    /** Rounds to bfloat16 by truncation; tests pick values that bfloat16 holds exactly. */
    static Tensor bf16(String name, long[] shape, float... values) {
        ByteBuffer bytes = little(values.length * Short.BYTES);
        for (float value : values) {
            bytes.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
        }
        return new Tensor(name, "BF16", shape, bytes.array());
    }

    static Tensor f16(String name, long[] shape, float... values) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToFloat16(values[i]);
        }
        return f16Bits(name, shape, bits);
    }

    static Tensor f16Bits(String name, long[] shape, short... bits) {
        ByteBuffer bytes = little(bits.length * Short.BYTES);
        for (short value : bits) {
            bytes.putShort(value);
        }
        return new Tensor(name, "F16", shape, bytes.array());
    }

    static long[] shape(long... dims) {
        return dims;
    }

    /** Writes the tensors back to back, in order, with a {@code __metadata__} entry as PyTorch writes it. */
    static Path write(Path file, Tensor... tensors) {
        return writeRaw(file, header(tensors), data(tensors));
    }

    static String header(Tensor... tensors) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject(SafetensorsHeader.METADATA_KEY).put("format", "pt");
        long offset = 0;
        for (Tensor tensor : tensors) {
            ObjectNode entry = root.putObject(tensor.name());
            entry.put("dtype", tensor.dtype());
            var shape = entry.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            entry.putArray("data_offsets").add(offset).add(offset + tensor.data().length);
            offset += tensor.data().length;
        }
        return JSON.writeValueAsString(root);
    }

    static byte[] data(Tensor... tensors) {
        ByteBuffer data = ByteBuffer.allocate(Arrays.stream(tensors).mapToInt(t -> t.data().length).sum());
        for (Tensor tensor : tensors) {
            data.put(tensor.data());
        }
        return data.array();
    }

    /** A file with the given header text, its true length in the prefix, then {@code data}. */
    static Path writeRaw(Path file, String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return writeRaw(file, json.length, json, data);
    }

    /** A file whose length prefix may lie about the header that follows it. */
    static Path writeRaw(Path file, long headerLength, byte[] header, byte[] data) {
        ByteBuffer bytes = little(Long.BYTES + header.length + data.length);
        bytes.putLong(headerLength).put(header).put(data);
        return writeBytes(file, bytes.array());
    }

    static Path writeBytes(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path writeIndex(Path dir, Map<String, String> weightMap) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", 0);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        return writeBytes(dir.resolve(ShardIndex.FILE_NAME), JSON.writeValueAsBytes(root));
    }

    /** Header JSON written with single quotes, so that tests can spell broken headers readably. */
    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private static ByteBuffer little(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
