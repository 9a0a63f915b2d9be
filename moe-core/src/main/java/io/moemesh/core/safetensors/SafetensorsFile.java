package io.moemesh.core.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One memory-mapped .safetensors file: {@code u64 N (little-endian) | N bytes of JSON header | data}.
 * The whole file is mapped as a {@link MemorySegment}, which unlike a {@code ByteBuffer} may exceed
 * 2 GiB, and each tensor becomes a slice of it.
 */
final class SafetensorsFile {

    /** One tensor and its bytes, a slice of the mapping. */
    record Tensor(TensorInfo info, MemorySegment data) {
    }

    private static final int LENGTH_PREFIX_BYTES = Long.BYTES;

    /** The reference reader (huggingface/safetensors, MAX_HEADER_SIZE) refuses larger headers too. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsFile() {
    }

    /**
     * Maps {@code file} into {@code arena} and validates its header; the mapping lives as long as the arena.
     * Returns the tensors in header order.
     */
    static Map<String, Tensor> map(Path file, Arena arena) {
        MemorySegment mapping = mapWhole(file, arena);
        long headerBytes = headerLength(file, mapping);
        MemorySegment data = mapping.asSlice(LENGTH_PREFIX_BYTES + headerBytes);
        byte[] json = mapping.asSlice(LENGTH_PREFIX_BYTES, headerBytes).toArray(ValueLayout.JAVA_BYTE);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry entry : SafetensorsHeader.parse(file, json, data.byteSize())) {
            MemorySegment slice = data.asSlice(entry.begin(), entry.end() - entry.begin());
            tensors.put(entry.info().name(), new Tensor(entry.info(), slice));
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static MemorySegment mapWhole(Path file, Arena arena) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < LENGTH_PREFIX_BYTES) {
                throw new SafetensorsException(file, "file is " + size
                        + " bytes, shorter than the 8-byte header length; not a safetensors file");
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot map file: " + e, e);
        }
    }

    private static long headerLength(Path file, MemorySegment mapping) {
        long headerBytes = mapping.get(U64_LE, 0);
        long available = mapping.byteSize() - LENGTH_PREFIX_BYTES;
        // A u64 above Long.MAX_VALUE reads as negative.
        if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerBytes)
                    + " is absurd (limit " + MAX_HEADER_BYTES + " bytes); not a safetensors file");
        }
        if (headerBytes > available) {
            throw new SafetensorsException(file, "header length " + headerBytes + " runs past the end of the file ("
                    + available + " bytes after the length; is the file truncated?)");
        }
        return headerBytes;
    }
}
