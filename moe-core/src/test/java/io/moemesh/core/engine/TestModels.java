package io.moemesh.core.engine;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the test models live: the shipped tiny model under {@code models/}, and fixtures in test resources. */
public final class TestModels {

    private TestModels() {
    }

    /** {@code models/tiny-random}: a 2-layer, 8-expert random Mixtral in BF16, made by tools/reference. */
    public static Path tinyRandom() {
        String dir = System.getProperty("moemesh.models.dir", "../models");
        Path path = Path.of(dir, "tiny-random");
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("test model not found at " + path.toAbsolutePath());
        }
        return path;
    }

    /** {@code models/mesh-mini-16e}: the shipped default, 4 layers x 16 experts, trained by tools/train. */
    public static Path meshMini() {
        String dir = System.getProperty("moemesh.models.dir", "../models");
        Path path = Path.of(dir, "mesh-mini-16e");
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("default model not found at " + path.toAbsolutePath());
        }
        return path;
    }

    /** The tiny random checkpoints of the other families, BF16, made by tools/reference: {@code models/tiny-<family>}. */
    public static Path shipped(String name) {
        String dir = System.getProperty("moemesh.models.dir", "../models");
        Path path = Path.of(dir, name);
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("test model not found at " + path.toAbsolutePath());
        }
        return path;
    }

    /** A test-resource model directory, e.g. {@code tiny-olmoe-f32}. */
    public static Path resource(String name) {
        try {
            return Path.of(TestModels.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource model " + name + " not found", e);
        }
    }

    /** The same model in F16, split over two shards with an index. */
    public static Path tinyF16Sharded() {
        try {
            return Path.of(TestModels.class.getResource("/tiny-mixtral-f16-sharded").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
