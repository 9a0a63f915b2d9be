package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.client.TokenLogprob;
import io.moemesh.client.TopLogprob;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogprobTableTest {

    @Test
    void validUtf8IsShownAsItsCharacters() {
        assertThat(LogprobTable.quoted("é€😀 x".getBytes(StandardCharsets.UTF_8))).isEqualTo("\"é€😀 x\"");
    }

    @Test
    void aByteThatIsNotACharacterAloneIsShownAsHex() {
        assertThat(LogprobTable.quoted(new byte[] {(byte) 0xC3})).isEqualTo("\"\\xC3\"");
        assertThat(LogprobTable.quoted(new byte[] {(byte) 0xA9})).isEqualTo("\"\\xA9\"");
    }

    @Test
    void validTextAroundAnIncompleteCharacterKeepsItsCharacters() {
        assertThat(LogprobTable.quoted(new byte[] {'a', (byte) 0xE2, (byte) 0x82})).isEqualTo("\"a\\xE2\\x82\"");
        assertThat(LogprobTable.quoted(new byte[] {(byte) 0xFF, 'b'})).isEqualTo("\"\\xFFb\"");
    }

    @Test
    void quotesBackslashesAndControlCharactersAreEscaped() {
        assertThat(LogprobTable.quoted("\"\\\n\r\t\u001b".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("\"\\\"\\\\\\n\\r\\t\\u001b\"");
    }

    @Test
    void withoutAlternativesTheTableHasNoAlternativesColumn() {
        StringWriter out = new StringWriter();

        LogprobTable.print(List.of(new TokenLogprob(5, -1.5f, "hi".getBytes(StandardCharsets.UTF_8), List.of())),
                new PrintWriter(out));

        assertThat(out.toString()).isEqualTo("""
                    #  token                 logprob
                    0  "hi"                  -1.5000
                """);
    }

    @Test
    void everyAlternativeFollowsItsTokenMostLikelyFirst() {
        StringWriter out = new StringWriter();

        LogprobTable.print(List.of(new TokenLogprob(5, -2f, new byte[] {'a'}, List.of(new TopLogprob(6, -0.5f,
                new byte[] {'b'}), new TopLogprob(5, -2f, new byte[] {'a'})))), new PrintWriter(out));

        assertThat(out.toString()).endsWith("    0  \"a\"                   -2.0000  \"b\" -0.5000 \"a\" -2.0000\n");
    }
}
