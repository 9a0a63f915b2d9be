package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The windowed stream with Mixtral's decoder, which strips the space that starts the text and joins byte tokens. */
class SentencePieceTextStreamTest {

    private static final int FIRST_BYTE = 3;
    private static final int EOS = 2;

    private static TextTokenizer mixtral;
    private static JsonNode vocab;

    @BeforeAll
    static void load() throws IOException {
        Path dir = TestModels.resource("tokenizers/mixtral");
        mixtral = TextTokenizer.load(dir);
        vocab = JsonMapper.shared().readTree(dir.resolve("tokenizer.json").toFile()).get("model").get("vocab");
    }

    @AfterAll
    static void close() {
        mixtral.close();
    }

    @Test
    void keepsTheSpaceThatStartsEachWordAfterTheFirst() {
        List<String> pieces = pushAll(new TextStream(mixtral, List.of()), mixtral.encode("Hello world again"));

        assertThat(pieces).containsExactly("", "H", "el", "lo", " w", "or", "l", "d", " a", "g", "a", "in", "");
    }

    @Test
    void dropsOnlyTheSpaceThatStartsTheText() {
        List<String> pieces = pushAll(new TextStream(mixtral, List.of()), mixtral.encode(" the cat"));

        assertThat(String.join("", pieces)).isEqualTo(" the cat").isEqualTo(mixtral.decode(mixtral.encode(" the cat")));
    }

    /** A special token decodes to nothing: as the window's only context it would let the next word lose its space. */
    @Test
    void keepsTheSpaceOfAWordAfterASpecialToken() {
        int[] ids = {piece("\u2581H"), piece("el"), piece("lo"), EOS, piece("\u2581w"), piece("or")};

        List<String> pieces = pushAll(new TextStream(mixtral, List.of()), ids);

        assertThat(pieces).containsExactly("H", "el", "lo", "", " w", "or", "");
        assertThat(mixtral.decode(ids)).isEqualTo("Hello wor");
    }

    @Test
    void holdsBackAByteFallbackCharacterUntilItsLastByte() {
        List<String> pieces = pushAll(new TextStream(mixtral, List.of()), mixtral.encode("€ 日本 x"));

        assertThat(pieces).containsExactly("", "", "", "", "€", " ", "", "", "日", "", "", "本", " ", "x", "");
    }

    @Test
    void endsAtAStopStringSplitAcrossPieces() {
        TextStream stream = new TextStream(mixtral, List.of("lo w"));

        List<String> pieces = pushAll(stream, mixtral.encode("Hello world again"));

        assertThat(stream.stopped()).isTrue();
        assertThat(String.join("", pieces)).isEqualTo("Hel").isEqualTo(stream.text());
    }

    /**
     * A full decode makes every byte of an invalid group U+FFFD, the complete "é" before the stray 0xFF too;
     * the stream released "é" when it was complete and keeps it: text() is what the client received.
     */
    @Test
    void keepsReleasedCharactersWhenALaterByteMakesTheirGroupInvalid() {
        int[] ids = {FIRST_BYTE + 0xC3, FIRST_BYTE + 0xA9, FIRST_BYTE + 0xFF, piece("x")};

        List<String> pieces = pushAll(new TextStream(mixtral, List.of()), ids);

        assertThat(pieces).containsExactly("", "é", "", "\uFFFD\uFFFDx", "");
        assertThat(mixtral.decode(ids)).isEqualTo("\uFFFD\uFFFD\uFFFDx");
    }

    /**
     * Cut short by a length limit, the last character ends the text as U+FFFD. How many is the decoder's
     * business: it makes the whole byte group U+FFFD (five here, for the window's five bytes), and the stream
     * releases those beyond the length of the text already released ("日", one character).
     */
    @Test
    void finishReleasesACharacterCutShortAsReplacementCharacters() {
        int[] ids = {FIRST_BYTE + 0xE6, FIRST_BYTE + 0x97, FIRST_BYTE + 0xA5, FIRST_BYTE + 0xE6, FIRST_BYTE + 0x9C};
        TextStream stream = new TextStream(mixtral, List.of());

        List<String> pieces = pushAll(stream, ids);

        assertThat(pieces).containsExactly("", "", "日", "", "", "\uFFFD\uFFFD\uFFFD\uFFFD");
        assertThat(stream.text()).isEqualTo(String.join("", pieces));
    }

    /**
     * A model past EOS under ignore_eos repeats it: the run never enters the window, so each push decodes a
     * few ids, not the whole run again (the decoder is asked for under 4 ids a push on average; a window
     * that kept the 1,000 EOS would be asked for ~500,000 ids).
     */
    @Test
    void aRunOfSpecialTokensIsNotDecodedOverAndOver() {
        CountingTokenizer counting = new CountingTokenizer(mixtral);
        int[] ids = new int[1_005];
        ids[0] = piece("\u2581H");
        ids[1] = piece("el");
        Arrays.fill(ids, 2, 1_002, EOS);
        ids[1_002] = piece("lo");
        ids[1_003] = piece("\u2581w");
        ids[1_004] = piece("or");

        List<String> pieces = pushAll(new TextStream(counting, List.of()), ids);

        assertThat(mixtral.skippedInDecode(EOS)).isTrue();
        assertThat(mixtral.skippedInDecode(piece("el"))).isFalse();
        assertThat(String.join("", pieces)).isEqualTo("Hello wor").isEqualTo(mixtral.decode(ids));
        assertThat(counting.decodedIds).isLessThan(4L * ids.length);
    }

    /** Counts the ids the stream asks the decoder for. */
    private static final class CountingTokenizer implements TextTokenizer {
        private final TextTokenizer tokenizer;
        long decodedIds;

        CountingTokenizer(TextTokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        @Override
        public int[] encode(String text) {
            return tokenizer.encode(text);
        }

        @Override
        public String decode(int[] ids) {
            decodedIds += ids.length;
            return tokenizer.decode(ids);
        }

        @Override
        public boolean decodesPiecewise() {
            return tokenizer.decodesPiecewise();
        }

        @Override
        public boolean skippedInDecode(int id) {
            return tokenizer.skippedInDecode(id);
        }

        @Override
        public void close() {
        }
    }

    private static int piece(String token) {
        return vocab.get(token).intValue();
    }

    /** Pushes the ids until a stop, then finishes: every piece, the finishing one last. */
    private static List<String> pushAll(TextStream stream, int[] ids) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < ids.length && !stream.stopped(); i++) {
            pieces.add(stream.push(ids[i]));
        }
        pieces.add(stream.finish());
        return pieces;
    }
}
