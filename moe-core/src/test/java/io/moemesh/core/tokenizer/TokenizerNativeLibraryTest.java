package io.moemesh.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.engine.TestModels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images export the tokenizer's native library at build time and point DJL at it: then DJL
 * loads it from there and writes nothing into its cache directory (no executable /tmp needed).
 */
class TokenizerNativeLibraryTest {

    @Test
    void exportsTheBundledLibraryByteForByte(@TempDir Path dir) throws Exception {
        Path file = TokenizerNativeLibrary.export(dir.resolve("native"));

        assertThat(file.getFileName()).hasToString("libtokenizers.so");
        try (InputStream bundled = getClass().getClassLoader().getResourceAsStream(TokenizerNativeLibrary.resource())) {
            assertThat(Files.readAllBytes(file)).isEqualTo(bundled.readAllBytes());
        }
        assertThat(file.toFile().canRead()).isTrue();
    }

    /**
     * In a fresh JVM (DJL loads its library once per JVM): RUST_LIBRARY_PATH set to the exported
     * file, the cache directory an empty folder. The tokenizer works and the folder stays empty.
     */
    @Test
    void djlLoadsTheExportedLibraryAndExtractsNothing(@TempDir Path dir) throws Exception {
        Path file = TokenizerNativeLibrary.export(dir.resolve("native"));
        Path cache = Files.createDirectories(dir.resolve("djl-cache"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");

        Process probe = new ProcessBuilder(List.of(java.toString(), "-DRUST_LIBRARY_PATH=" + file,
                "-DDJL_CACHE_DIR=" + cache, "-DENGINE_CACHE_DIR=" + cache, "-DDJL_OFFLINE=true",
                "-Duser.home=" + dir.resolve("home"), "-cp", System.getProperty("java.class.path"),
                TokenizerLoadProbe.class.getName(), TestModels.meshMini().toString()))
                .redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes());
        assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(probe.exitValue()).as(output).isZero();
        assertThat(output).contains("encoded");
        try (var left = Files.list(cache)) {
            assertThat(left).as("DJL cache after loading").isEmpty();
        }
        try (var written = Files.walk(dir.resolve("home"))) {
            assertThat(written.filter(Files::isRegularFile).map(Path::toString)).as("files under user.home")
                    .isEmpty();
        }
    }

    /** Loads the model's tokenizer and encodes a text; run by the test above in its own JVM. */
    static final class TokenizerLoadProbe {

        public static void main(String[] args) throws Exception {
            try (TextTokenizer tokenizer = TextTokenizer.load(Path.of(args[0]))) {
                System.out.println("encoded " + tokenizer.encode("hello world").length + " ids");
            }
        }
    }
}
