package io.moemesh.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@code config.json} comes with a downloaded model. Contract: {@link ModelConfig#load} either
 * returns a configuration every engine buffer can be sized from, or throws a
 * {@link ModelConfigException} naming the file, whatever the bytes.
 */
class ModelConfigFuzzTest {

    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("config-fuzz");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        Files.deleteIfExists(dir.resolve("config.json"));
        Files.deleteIfExists(dir);
    }

    /** The file as the engine reads it: bytes that need not be UTF-8, from a model directory. */
    @FuzzTest
    void loadsAnyConfigOrNamesTheProblem(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("config.json"), bytes);
        ModelConfig config;
        try {
            config = ModelConfig.load(dir);
        } catch (ModelConfigException e) {
            assertThat(e).hasMessageStartingWith(file.toString());
            return;
        }
        assertServable(config);
    }

    /** The JSON text alone, in memory: a hundred times faster into the field checks. */
    @FuzzTest
    void parsesAnyConfigTextOrNamesTheProblem(byte[] bytes) {
        ModelConfig config;
        try {
            config = ModelConfig.parse(new String(bytes, StandardCharsets.UTF_8), "config.json");
        } catch (ModelConfigException e) {
            assertThat(e).hasMessageStartingWith("config.json");
            return;
        }
        assertServable(config);
    }

    private static void assertServable(ModelConfig config) {
        assertThat(List.of(config.hiddenSize(), config.intermediateSize(), config.numLayers(), config.numHeads(),
                config.numKvHeads(), config.headDim(), config.numExperts(), config.vocabSize(),
                config.maxPositionEmbeddings())).allMatch(n -> n > 0);
        assertThat(config.expertsPerToken()).isBetween(1, config.numExperts());
        assertThat(config.numHeads() % config.numKvHeads()).isZero();
        assertThat(config.headDim() % 2).isZero();
        assertThat((long) config.queryDim()).isEqualTo((long) config.numHeads() * config.headDim());
        assertThat((long) config.kvDim()).isEqualTo((long) config.numKvHeads() * config.headDim());
        assertThat(config.rmsNormEps()).isFinite().isPositive();
        assertThat(config.ropeTheta()).isFinite().isPositive();
        config.bosTokenId().ifPresent(id -> assertThat(id).isNotNegative());
        config.eosTokenId().ifPresent(id -> assertThat(id).isNotNegative());
    }
}
