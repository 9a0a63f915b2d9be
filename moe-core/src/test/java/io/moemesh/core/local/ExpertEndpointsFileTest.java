package io.moemesh.core.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The endpoints file's lines: what counts as an endpoint, what is refused with its line number, and its writes. */
class ExpertEndpointsFileTest {

    @TempDir
    Path state;

    @Test
    void listsEachHostPortInFileOrderSkippingBlankLinesAndComments() {
        String content = """
                # written by moe up
                127.0.0.1:50060

                  127.0.0.1:50061   # expert-1, started by the placement controller
                [::1]:50062
                """;

        assertThat(ExpertEndpointsFile.parse(content)).containsExactly("127.0.0.1:50060", "127.0.0.1:50061",
                "[::1]:50062");
    }

    @Test
    void aFileOfCommentsOnlyListsNoEndpoint() {
        assertThat(ExpertEndpointsFile.parse("# nothing yet\n\n")).isEmpty();
        assertThat(ExpertEndpointsFile.parse("")).isEmpty();
    }

    @Test
    void readsWindowsLineEndings() {
        assertThat(ExpertEndpointsFile.parse("a:1\r\nb:2\r\n")).containsExactly("a:1", "b:2");
    }

    @Test
    void refusesALineThatIsNoHostPortNamingItsNumber() {
        assertThatThrownBy(() -> ExpertEndpointsFile.parse("127.0.0.1:50060\n# ok\nexpert-3\n"))
                .isInstanceOf(ExpertEndpointsFile.MalformedLineException.class)
                .hasMessage("line 3: 'expert-3' is not host:port")
                .extracting(e -> ((ExpertEndpointsFile.MalformedLineException) e).line()).isEqualTo(3);
        assertThatThrownBy(() -> ExpertEndpointsFile.parse("127.0.0.1:50060 127.0.0.1:50061"))
                .hasMessageStartingWith("line 1:");
    }

    @Test
    void refusesAPortOutsideTheTcpRange() {
        assertThatThrownBy(() -> ExpertEndpointsFile.parse("h:0"))
                .hasMessage("line 1: 'h:0' has port 0, outside 1..65535");
        assertThatThrownBy(() -> ExpertEndpointsFile.parse("h:70000")).hasMessageContaining("port 70000");
    }

    @Test
    void refusesAnEndpointListedTwiceBecauseTheTargetIsItsId() {
        assertThatThrownBy(() -> ExpertEndpointsFile.parse("h:1\nh:2\nh:1\n"))
                .hasMessage("line 3: 'h:1' is listed already on line 1 (each endpoint once)");
    }

    @Test
    void aMissingFileListsNoEndpoint() {
        assertThat(ExpertEndpointsFile.read(ExpertEndpointsFile.in(state))).isEmpty();
    }

    @Test
    void readsBackWhatItWroteUnderAHeaderComment() throws Exception {
        Path file = ExpertEndpointsFile.in(state);
        ExpertEndpointsFile.write(file, List.of("127.0.0.1:50060", "127.0.0.1:50061"));

        assertThat(file).isEqualTo(state.resolve("expert-endpoints"));
        assertThat(Files.readAllLines(file)).first().asString().startsWith("# ");
        assertThat(Files.readAllLines(file)).filteredOn(l -> !l.startsWith("#"))
                .containsExactly("127.0.0.1:50060", "127.0.0.1:50061");
        assertThat(ExpertEndpointsFile.read(file)).containsExactly("127.0.0.1:50060", "127.0.0.1:50061");
    }

    @Test
    void replacesTheFileWholeByRenameLeavingNoTemporaryFile() throws Exception {
        Path file = ExpertEndpointsFile.in(state);
        ExpertEndpointsFile.write(file, List.of("127.0.0.1:50060", "127.0.0.1:50061"));
        Object before = Files.readAttributes(file, BasicFileAttributes.class).fileKey();

        ExpertEndpointsFile.write(file, List.of("127.0.0.1:50061"));

        assertThat(ExpertEndpointsFile.read(file)).containsExactly("127.0.0.1:50061");
        assertThat(Files.readAttributes(file, BasicFileAttributes.class).fileKey())
                .as("a new file (inode) renamed over the old one, not the old one rewritten in place")
                .isNotEqualTo(before);
        try (var entries = Files.list(state)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("expert-endpoints");
        }
    }
}
