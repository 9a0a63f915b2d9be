package io.moemesh.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The router's image (router-service/Dockerfile, built by the lead's e2e run, not here) exports the
 * tokenizer library at build time with {@link TokenizerNativeLibrary} and points DJL at the file.
 * Checked on the Dockerfile's text, since images are not built by unit tests.
 */
class RouterImageTokenizerTest {

    private static final Path DOCKERFILE = Path.of("..", "router-service", "Dockerfile");

    @Test
    void theRouterImageExportsTheLibraryAsRootAndPointsDjlAtIt() throws Exception {
        String dockerfile = Files.readString(DOCKERFILE);
        String export = "RUN [\"java\", \"-cp\", \"/app/application.jar\", \"" + TokenizerNativeLibrary.class.getName()
                + "\", \"/opt/moemesh/native\"]";

        assertThat(dockerfile).contains(export);
        assertThat(dockerfile).contains("RUST_LIBRARY_PATH=/opt/moemesh/native/" + TokenizerNativeLibrary.FILE_NAME);
        // exported before the image switches to the service user: root owns it, the service cannot write it
        assertThat(dockerfile.indexOf(export)).isLessThan(dockerfile.indexOf("USER 10001:10001"));
    }
}
