package io.moemesh.expert;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code models/tiny-random}: 2 layers, hidden 64, intermediate 128, 8 experts, top-2, BF16. */
public final class TinyModel {

    public static final int HIDDEN = 64;

    private TinyModel() {
    }

    public static Path dir() {
        Path path = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("test model not found at " + path.toAbsolutePath());
        }
        return path;
    }
}
