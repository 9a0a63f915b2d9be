package io.moemesh.placement.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.local.ExpertEndpointsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller's endpoint list on the endpoints file moe up writes and the routers poll. */
class EndpointListTest {

    @TempDir
    Path dir;

    @Test
    void readsTheFileWithoutCommentsAndReplacesItWhole() throws IOException {
        Path file = dir.resolve("state/expert-endpoints");
        EndpointList list = EndpointList.file(file);
        assertThat(list.targets()).isEmpty();
        Files.createDirectories(file.getParent());
        Files.writeString(file, "# moe up\n127.0.0.1:1\n\n127.0.0.1:2 # two\n");

        assertThat(list.targets()).containsExactly("127.0.0.1:1", "127.0.0.1:2");

        list.replace(List.of("127.0.0.1:2", "127.0.0.1:3"));

        assertThat(list.targets()).containsExactly("127.0.0.1:2", "127.0.0.1:3");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file); // no temporary file left
        }
    }

    @Test
    void aMalformedFileIsAnErrorNamingTheLine() throws IOException {
        Path file = dir.resolve("expert-endpoints");
        Files.writeString(file, "127.0.0.1:1\nexpert-2\n");

        assertThatThrownBy(() -> EndpointList.file(file).targets())
                .isInstanceOf(ExpertEndpointsFile.MalformedLineException.class).hasMessageStartingWith("line 2:");
    }
}
