package io.moemesh.router.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.router.dispatch.ExpertEndpoint;
import org.junit.jupiter.api.Test;

/** The experts file's lines: what counts as an endpoint, and what is refused with its line number. */
class ExpertsFileTest {

    @Test
    void listsEachHostPortInFileOrderAsItsOwnIdSkippingBlankLinesAndComments() {
        String content = """
                # written by moe up
                127.0.0.1:50060

                  127.0.0.1:50061   # expert-1, started by the placement controller
                [::1]:50062
                """;

        assertThat(ExpertsFile.parse(content)).containsExactly(
                new ExpertEndpoint("127.0.0.1:50060", "127.0.0.1:50060"),
                new ExpertEndpoint("127.0.0.1:50061", "127.0.0.1:50061"),
                new ExpertEndpoint("[::1]:50062", "[::1]:50062"));
    }

    @Test
    void aFileOfCommentsOnlyListsNoEndpoint() {
        assertThat(ExpertsFile.parse("# nothing yet\n\n")).isEmpty();
        assertThat(ExpertsFile.parse("")).isEmpty();
    }

    @Test
    void readsWindowsLineEndings() {
        assertThat(ExpertsFile.parse("a:1\r\nb:2\r\n")).extracting(ExpertEndpoint::id).containsExactly("a:1", "b:2");
    }

    @Test
    void refusesALineThatIsNoHostPortNamingItsNumber() {
        assertThatThrownBy(() -> ExpertsFile.parse("127.0.0.1:50060\n# ok\nexpert-3\n"))
                .isInstanceOf(ExpertsFile.MalformedLineException.class)
                .hasMessage("line 3: 'expert-3' is not host:port")
                .extracting(e -> ((ExpertsFile.MalformedLineException) e).line()).isEqualTo(3);
        assertThatThrownBy(() -> ExpertsFile.parse("127.0.0.1:50060 127.0.0.1:50061"))
                .hasMessageStartingWith("line 1:");
    }

    @Test
    void refusesAPortOutsideTheTcpRange() {
        assertThatThrownBy(() -> ExpertsFile.parse("h:0")).hasMessage("line 1: 'h:0' has port 0, outside 1..65535");
        assertThatThrownBy(() -> ExpertsFile.parse("h:70000")).hasMessageContaining("port 70000");
    }

    @Test
    void refusesAnEndpointListedTwiceBecauseTheTargetIsItsId() {
        assertThatThrownBy(() -> ExpertsFile.parse("h:1\nh:2\nh:1\n"))
                .hasMessage("line 3: 'h:1' is listed already on line 1 (each endpoint once)");
    }
}
