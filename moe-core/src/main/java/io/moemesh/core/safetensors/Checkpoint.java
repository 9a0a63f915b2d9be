package io.moemesh.core.safetensors;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face safetensors checkpoint, single-file or sharded, memory-mapped for the engine.
 * Every header is validated when the checkpoint is opened; afterwards tensors are served as
 * slices of the mappings without copying (F16 excepted: it is widened to F32 once).
 *
 * <p>Thread-safe. The mappings belong to a shared {@link Arena} that {@link #close()} releases:
 * close only when no kernel is still reading a weight. A file modified or truncated on disk while
 * mapped is outside what any check here can prevent.
 */
public final class Checkpoint implements AutoCloseable {

    static final String SINGLE_FILE_NAME = "model.safetensors";

    private static final ValueLayout.OfShort F16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final Map<String, SafetensorsFile.Tensor> tensors;
    private final Map<String, WeightMatrix> widenedF16 = new ConcurrentHashMap<>();

    private Checkpoint(Path path, Arena arena, Map<String, SafetensorsFile.Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
    }

    /**
     * Opens {@code path}: a model directory containing {@code model.safetensors.index.json} (sharded)
     * or {@code model.safetensors}, or a path to one {@code .safetensors} file or to an index file.
     */
    public static Checkpoint open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            return new Checkpoint(path, arena, mapAll(path, arena));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, SafetensorsFile.Tensor> mapAll(Path path, Arena arena) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(ShardIndex.FILE_NAME);
            if (Files.isRegularFile(index)) {
                return mapSharded(index, arena);
            }
            Path single = path.resolve(SINGLE_FILE_NAME);
            if (Files.isRegularFile(single)) {
                return SafetensorsFile.map(single, arena);
            }
            throw new SafetensorsException(path, "directory holds neither " + ShardIndex.FILE_NAME + " nor "
                    + SINGLE_FILE_NAME);
        }
        if (!Files.isRegularFile(path)) {
            throw new SafetensorsException(path, "no such checkpoint file or directory");
        }
        return path.getFileName().toString().endsWith(".json")
                ? mapSharded(path, arena)
                : SafetensorsFile.map(path, arena);
    }

    /** The index's weight_map decides which tensors the checkpoint has and where each lives. */
    private static Map<String, SafetensorsFile.Tensor> mapSharded(Path index, Arena arena) {
        Map<String, Path> tensorToShard = ShardIndex.read(index);
        Map<Path, Map<String, SafetensorsFile.Tensor>> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Path> entry : tensorToShard.entrySet()) {
            String name = entry.getKey();
            Path shard = entry.getValue();
            SafetensorsFile.Tensor tensor = shards.computeIfAbsent(shard, file -> SafetensorsFile.map(file, arena))
                    .get(name);
            if (tensor == null) {
                throw new SafetensorsException(index, name, "index places the tensor in " + shard
                        + ", which does not contain it");
            }
            tensors.put(name, tensor);
        }
        return Collections.unmodifiableMap(tensors);
    }

    /** The path this checkpoint was opened from. */
    public Path path() {
        return path;
    }

    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        return tensor(name).info();
    }

    /**
     * The 2-D tensor {@code name}, checked to be {@code [rows, cols]} of a dtype the kernels read.
     * BF16 and F32 are slices of the mapping; F16 is widened to F32 once, into memory this
     * checkpoint owns and releases on {@link #close()}.
     */
    public WeightMatrix matrix(String name, int rows, int cols) {
        SafetensorsFile.Tensor tensor = tensor(name);
        TensorInfo info = tensor.info();
        DType dtype = supportedDtype(info);
        requireShape(info, rows, cols);
        if (dtype != DType.F16) {
            return new WeightMatrix(name, dtype, rows, cols, tensor.data());
        }
        return widenedF16.computeIfAbsent(name,
                key -> new WeightMatrix(key, DType.F32, rows, cols, widenF16(tensor.data())));
    }

    /** The 1-D tensor {@code name} of {@code size} elements (a norm weight, a bias), widened to floats. */
    public float[] vector(String name, int size) {
        SafetensorsFile.Tensor tensor = tensor(name);
        TensorInfo info = tensor.info();
        DType dtype = supportedDtype(info);
        requireShape(info, size);
        MemorySegment data = tensor.data();
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = switch (dtype) {
                case BF16 -> WeightMatrix.bf16ToFloat(data.getAtIndex(WeightMatrix.BF16_LE, i));
                case F16 -> Float.float16ToFloat(data.getAtIndex(F16_LE, i));
                case F32 -> data.getAtIndex(WeightMatrix.F32_LE, i);
            };
        }
        return values;
    }

    /** Releases every mapping; weights handed out before become unreadable. Idempotent. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private SafetensorsFile.Tensor tensor(String name) {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException("checkpoint " + path + " is closed");
        }
        SafetensorsFile.Tensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new SafetensorsException(path, name, "no such tensor in the checkpoint");
        }
        return tensor;
    }

    private static DType supportedDtype(TensorInfo info) {
        if (!info.isSupported()) {
            throw new SafetensorsException(info.file(), info.name(), "dtype " + info.dtypeName()
                    + " is not supported (moe-mesh reads BF16, F16 and F32)");
        }
        return info.dtype();
    }

    private static void requireShape(TensorInfo info, long... expected) {
        if (!Arrays.equals(info.shape(), expected)) {
            throw new SafetensorsException(info.file(), info.name(), "expected shape "
                    + Arrays.toString(expected) + " but the checkpoint has " + info.shapeText());
        }
    }

    private MemorySegment widenF16(MemorySegment half) {
        long count = half.byteSize() / Short.BYTES;
        MemorySegment widened = arena.allocate(count * Float.BYTES, Float.BYTES);
        for (long i = 0; i < count; i++) {
            widened.setAtIndex(WeightMatrix.F32_LE, i, Float.float16ToFloat(half.getAtIndex(F16_LE, i)));
        }
        return widened;
    }
}
