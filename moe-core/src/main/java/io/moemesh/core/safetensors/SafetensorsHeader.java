package io.moemesh.core.safetensors;

import io.moemesh.core.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses and validates the JSON header of one .safetensors file (format: github.com/huggingface/safetensors).
 * Every offset is checked against the data buffer here, once, so that reading a tensor later can
 * never run past the mapping.
 */
final class SafetensorsHeader {

    /** One tensor's entry: where its bytes lie, relative to the start of the data buffer. */
    record Entry(TensorInfo info, long begin, long end) {
    }

    static final String METADATA_KEY = "__metadata__";

    private static final int UNKNOWN_SIZE = -1;

    /** Duplicate names would silently shadow each other; reject them like the Rust reader does. */
    static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SafetensorsHeader() {
    }

    static List<Entry> parse(Path file, byte[] json, long dataBytes) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new SafetensorsException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file, "header is not a JSON object");
        }
        List<Entry> entries = new ArrayList<>(root.size());
        for (Map.Entry<String, JsonNode> property : root.properties()) {
            if (!property.getKey().equals(METADATA_KEY)) {
                entries.add(entry(file, property.getKey(), property.getValue(), dataBytes));
            }
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataBytes) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, name, "header entry is not a JSON object");
        }
        JsonNode dtypeNode = required(file, name, node, "dtype");
        if (!dtypeNode.isString()) {
            throw new SafetensorsException(file, name, "dtype is not a string: " + dtypeNode);
        }
        String dtypeName = dtypeNode.stringValue();
        long[] shape = longs(file, name, required(file, name, node, "shape"), "shape");
        long[] offsets = longs(file, name, required(file, name, node, "data_offsets"), "data_offsets");
        if (offsets.length != 2) {
            throw new SafetensorsException(file, name, "data_offsets must be [begin, end], got " + offsets.length
                    + " numbers");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsException(file, name, "data_offsets begin " + begin + " is after end " + end);
        }
        if (end > dataBytes) {
            throw new SafetensorsException(file, name, "data_offsets end " + end
                    + " is past the end of the data buffer (" + dataBytes + " bytes; is the file truncated?)");
        }
        DType dtype = DType.fromSafetensorsName(dtypeName);
        int bits = dtype != null ? dtype.bytes() * Byte.SIZE : elementBits(dtypeName);
        if (bits != UNKNOWN_SIZE) {
            checkByteLength(file, name, dtypeName, bits, shape, end - begin);
        }
        return new Entry(new TensorInfo(name, dtype, dtypeName, shape, file), begin, end);
    }

    private static JsonNode required(Path file, String name, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new SafetensorsException(file, name, "header entry has no '" + field + "'");
        }
        return value;
    }

    private static long[] longs(Path file, String name, JsonNode node, String field) {
        if (!node.isArray()) {
            throw new SafetensorsException(file, name, field + " is not an array: " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = node.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw new SafetensorsException(file, name, field + " must hold non-negative integers, got " + node);
            }
            values[i] = value.longValue();
        }
        return values;
    }

    private static void checkByteLength(Path file, String name, String dtypeName, int bits, long[] shape,
            long bytes) {
        long expectedBits;
        try {
            long elements = 1;
            for (long dim : shape) {
                elements = Math.multiplyExact(elements, dim);
            }
            expectedBits = Math.multiplyExact(elements, bits);
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "shape " + Arrays.toString(shape)
                    + " has more elements than any file can hold", e);
        }
        if (expectedBits != bytes * Byte.SIZE) {
            throw new SafetensorsException(file, name, bytes + " bytes of data for " + dtypeName + " shape "
                    + Arrays.toString(shape) + " (expected " + (expectedBits + Byte.SIZE - 1) / Byte.SIZE + ")");
        }
    }

    /** Element sizes of the dtypes the safetensors format defines; unknown ones skip the size check. */
    private static int elementBits(String dtypeName) {
        return switch (dtypeName) {
            case "F4" -> 4;
            case "F6_E2M3", "F6_E3M2" -> 6;
            case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0" -> 8;
            case "I16", "U16", "F16", "BF16" -> 16;
            case "I32", "U32", "F32" -> 32;
            case "I64", "U64", "F64", "C64" -> 64;
            default -> UNKNOWN_SIZE;
        };
    }
}
