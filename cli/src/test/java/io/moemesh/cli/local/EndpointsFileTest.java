package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The experts file the router follows (moemesh.router.discovery=file). */
class EndpointsFileTest {

    @TempDir
    Path state;

    @Test
    void listsOneTargetPerLineAfterComments() throws Exception {
        Path file = EndpointsFile.write(state, List.of("127.0.0.1:50060", "127.0.0.1:50061"));

        assertThat(file).isEqualTo(state.resolve("expert-endpoints"));
        assertThat(Files.readAllLines(file)).filteredOn(l -> !l.startsWith("#"))
                .containsExactly("127.0.0.1:50060", "127.0.0.1:50061");
        assertThat(Files.readAllLines(file)).first().asString().startsWith("# ");
    }

    @Test
    void replacesTheFileWholeByRenameLeavingNoTemporaryFile() throws Exception {
        EndpointsFile.write(state, List.of("127.0.0.1:50060", "127.0.0.1:50061"));
        Object before = Files.readAttributes(state.resolve("expert-endpoints"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        EndpointsFile.write(state, List.of("127.0.0.1:50061"));

        assertThat(Files.readAllLines(state.resolve("expert-endpoints"))).filteredOn(l -> !l.startsWith("#"))
                .containsExactly("127.0.0.1:50061");
        assertThat(Files.readAttributes(state.resolve("expert-endpoints"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("a new file (inode) renamed over the old one, not the old one rewritten in place")
                .isNotEqualTo(before);
        try (var entries = Files.list(state)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("expert-endpoints");
        }
    }
}
