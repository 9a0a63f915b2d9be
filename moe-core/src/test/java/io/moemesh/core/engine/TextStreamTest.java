package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextStreamTest {

    private final ByteTokenizer bytes = new ByteTokenizer();

    private List<String> pushAll(TextStream stream, String text) {
        List<String> pieces = new ArrayList<>();
        for (int id : bytes.encode(text)) {
            pieces.add(stream.push(id));
            if (stream.stopped()) {
                break;
            }
        }
        return pieces;
    }

    @Test
    void holdsBackAMultiByteCharacterUntilItIsComplete() {
        TextStream stream = new TextStream(bytes, List.of());

        List<String> pieces = pushAll(stream, "aé"); // 'é' is two bytes

        assertThat(pieces).containsExactly("a", "", "é");
    }

    @Test
    void endsAtAStopStringAndLeavesItOut() {
        TextStream stream = new TextStream(bytes, List.of("\n\n"));

        String streamed = String.join("", pushAll(stream, "one\n\ntwo"));

        assertThat(stream.stopped()).isTrue();
        assertThat(streamed).isEqualTo("one");
        assertThat(stream.text()).isEqualTo("one");
    }

    @Test
    void neverStreamsTextThatTurnsOutToStartAStopString() {
        TextStream stream = new TextStream(bytes, List.of("END"));

        List<String> pieces = pushAll(stream, "xEN");

        assertThat(String.join("", pieces)).isEqualTo("x");
        assertThat(stream.finish()).isEqualTo("EN");
        assertThat(stream.text()).isEqualTo("xEN");
    }

    @Test
    void findsAStopStringThatStartsInTextAlreadyReleased() {
        TextStream stream = new TextStream(bytes, List.of("abc"));

        List<String> pieces = pushAll(stream, "xab" + "c");

        assertThat(pieces).containsExactly("x", "", "", "");
        assertThat(stream.stopped()).isTrue();
        assertThat(stream.text()).isEqualTo("x");
    }

    @Test
    void finishingBeforeAnyTokenGivesNoText() {
        TextStream stream = new TextStream(bytes, List.of("END"));

        assertThat(stream.finish()).isEmpty();
        assertThat(stream.text()).isEmpty();
    }

    @Test
    void picksTheEarliestOfSeveralStopStrings() {
        TextStream stream = new TextStream(bytes, List.of("c", "bc"));

        pushAll(stream, "abcd");

        assertThat(stream.text()).isEqualTo("a");
    }

    /** The stop string may begin where an incomplete character is: the text before it is held back too. */
    @Test
    void holdsBackTheStartOfAStopStringThatEndsInACharacterStillIncomplete() {
        TextStream stream = new TextStream(bytes, List.of("bé"));

        List<String> pieces = pushAll(stream, "abé");

        assertThat(pieces).containsExactly("a", "", "", "");
        assertThat(stream.stopped()).isTrue();
        assertThat(stream.text()).isEqualTo("a");
    }
}
