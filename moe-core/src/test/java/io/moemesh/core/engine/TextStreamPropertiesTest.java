package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The incremental text stream against its full-decode twin: the same pieces, stop, {@code finish()} and
 * {@code text()} for every id sequence, with the shipped tokenizer and with test tokenizers; and
 * {@code text()} is the pieces joined, what a streaming client received.
 */
class TextStreamPropertiesTest {

    private static TextTokenizer shipped;
    private static List<String> goldenTexts;

    @BeforeContainer
    static void load() throws Exception {
        shipped = TextTokenizer.load(TestModels.meshMini());
        JsonNode golden = JsonMapper.shared()
                .readTree(Files.readString(TestModels.meshMini().resolve("tokenizer_golden.json")));
        goldenTexts = new ArrayList<>();
        for (JsonNode c : golden.get("cases")) {
            goldenTexts.add(c.get("text").stringValue());
        }
    }

    @AfterContainer
    static void close() {
        shipped.close();
    }

    @Property(tries = 300)
    void shippedTokenizerStreamsRandomIdsAsTheFullDecodeDoes(@ForAll("shippedIds") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        assertThat(shipped.decodesPiecewise()).isTrue();

        assertSamePieces(shipped, ids, List.of());
        assertSamePieces(shipped, ids, stopsFrom(shipped.decode(ids), stopCount, seed));
    }

    @Property(tries = 300)
    void shippedTokenizerStreamsRealTextsAsTheFullDecodeDoes(@ForAll("goldenText") String text,
            @ForAll @IntRange(min = 1, max = 3) int stopCount, @ForAll long seed) {
        int[] ids = shipped.encode(text);

        assertSamePieces(shipped, ids, List.of());
        assertSamePieces(shipped, ids, stopsFrom(text, stopCount, seed));
    }

    @Property(tries = 300)
    void byteTokenizerStreamsRandomBytesAsTheFullDecodeDoes(@ForAll("bytes") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        ByteTokenizer bytes = new ByteTokenizer();

        assertSamePieces(bytes, ids, stopsFrom(bytes.decode(ids), stopCount, seed));
    }

    /** A decoder that is not piecewise (it strips the leading space, as SentencePiece's does) gets the full decode. */
    @Property(tries = 300)
    void aTokenizerThatIsNotPiecewiseStillStreamsAsTheFullDecodeDoes(@ForAll("bytes") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        TextTokenizer stripping = new LeadingSpaceStrippingTokenizer(new ByteTokenizer());

        assertSamePieces(stripping, ids, stopsFrom(stripping.decode(ids), stopCount, seed));
    }

    private static void assertSamePieces(TextTokenizer tokenizer, int[] ids, List<String> stops) {
        TextStream stream = new TextStream(tokenizer, stops);
        FullDecodeTextStream reference = new FullDecodeTextStream(tokenizer, stops);
        StringBuilder pieces = new StringBuilder();
        for (int i = 0; i < ids.length && !reference.stopped(); i++) {
            String piece = stream.push(ids[i]);
            assertThat(piece).as("piece %d of %s, stops %s", i, ids.length, stops)
                    .isEqualTo(reference.push(ids[i]));
            assertThat(stream.stopped()).isEqualTo(reference.stopped());
            pieces.append(piece);
        }
        String last = stream.finish();
        assertThat(last).isEqualTo(reference.finish());
        assertThat(stream.text()).isEqualTo(reference.text()).isEqualTo(pieces + last);
    }

    /** Stop strings cut out of the text itself (so they occur), sometimes across a multi-byte character. */
    private static List<String> stopsFrom(String text, int count, long seed) {
        Random random = new Random(seed);
        List<String> stops = new ArrayList<>();
        for (int i = 0; i < count && !text.isEmpty(); i++) {
            int start = random.nextInt(text.length());
            int end = Math.min(text.length(), start + 1 + random.nextInt(4));
            stops.add(text.substring(start, end));
        }
        return stops;
    }

    /** Ids of the shipped vocabulary, rich in raw bytes 128..255 (split characters) and special tokens. */
    @Provide
    Arbitrary<int[]> shippedIds() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(0, 2047)),
                Tuple.of(3, Arbitraries.integers().between(128, 255)),
                Tuple.of(2, Arbitraries.integers().between(32, 127)),
                Tuple.of(1, Arbitraries.of(256, 257)))
                .array(int[].class).ofMaxSize(300);
    }

    @Provide
    Arbitrary<int[]> bytes() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(128, 255)),
                Tuple.of(2, Arbitraries.of((int) ' ', (int) 'a', (int) 'b', (int) '\n')),
                Tuple.of(1, Arbitraries.integers().between(0, 127)))
                .array(int[].class).ofMaxSize(200);
    }

    @Provide
    Arbitrary<String> goldenText() {
        return Arbitraries.of(goldenTexts);
    }

    private record LeadingSpaceStrippingTokenizer(TextTokenizer bytes) implements TextTokenizer {

        @Override
        public int[] encode(String text) {
            return bytes.encode(text);
        }

        @Override
        public String decode(int[] ids) {
            String text = bytes.decode(ids);
            return text.startsWith(" ") ? text.substring(1) : text;
        }

        @Override
        public void close() {
        }
    }
}
