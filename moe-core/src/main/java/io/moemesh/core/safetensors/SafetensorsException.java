package io.moemesh.core.safetensors;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint that cannot be read as asked. The message always names the file (or checkpoint
 * directory) and, where one is involved, the tensor, so that a person can find what to fix.
 */
public final class SafetensorsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Transient because {@link Path} is not serializable. */
    private final transient Path file;
    private final String tensor;

    public SafetensorsException(Path file, String message) {
        this(file, null, message, null);
    }

    public SafetensorsException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public SafetensorsException(Path file, String tensor, String message, Throwable cause) {
        super(describe(file, tensor, message), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String describe(Path file, String tensor, String message) {
        return tensor == null ? file + ": " + message : file + ": tensor '" + tensor + "': " + message;
    }

    public Path file() {
        return file;
    }

    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
