package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The windowed stream against its full-decode twin with SentencePiece decoders, which are not piecewise:
 * Mixtral's (Replace, ByteFallback, Fuse, Strip one leading space; {@code tokenizers/mixtral}, made by
 * tools/reference/sentencepiece_tokenizer.py) and a Metaspace one (which drops the spaces of the first
 * token), over the same vocabulary. Ids 0-2 are special, 3-258 the byte tokens, the rest pieces.
 *
 * <p>Where the full decode never takes back text it once gave as complete, the two streams must release
 * the same pieces, stop at the same token and agree on {@code finish()} and {@code text()}. A full decode
 * does take text back when byte tokens that formed complete characters are followed by a byte that makes
 * their group invalid UTF-8 (ByteFallback then turns every byte of the group into U+FFFD); released
 * text cannot be taken back, so there the stream keeps its own contract: {@code text()} is the pieces joined.
 */
class SentencePieceTextStreamPropertiesTest {

    private static final int FIRST_BYTE = 3;
    private static final int FIRST_PIECE = 259;

    private static List<String> goldenTexts;
    private static TextTokenizer mixtral;
    private static TextTokenizer metaspace;
    private static int vocab;
    private static Path metaspaceDir;

    @BeforeContainer
    static void load() throws IOException {
        goldenTexts = new ArrayList<>();
        for (JsonNode c : JsonMapper.shared().readTree(TestModels.meshMini().resolve("tokenizer_golden.json").toFile())
                .get("cases")) {
            goldenTexts.add(c.get("text").stringValue());
        }
        Path dir = TestModels.resource("tokenizers/mixtral");
        mixtral = TextTokenizer.load(dir);
        JsonMapper json = JsonMapper.shared();
        ObjectNode root = (ObjectNode) json.readTree(dir.resolve("tokenizer.json").toFile());
        vocab = root.get("model").get("vocab").size();
        root.set("decoder", json.readTree("""
                {"type": "Sequence", "decoders": [
                  {"type": "ByteFallback"},
                  {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true}]}
                """));
        metaspaceDir = Files.createTempDirectory("metaspace-tokenizer");
        Files.writeString(metaspaceDir.resolve("tokenizer.json"), json.writeValueAsString(root));
        metaspace = TextTokenizer.load(metaspaceDir);
    }

    @AfterContainer
    static void close() throws IOException {
        mixtral.close();
        metaspace.close();
        Files.deleteIfExists(metaspaceDir.resolve("tokenizer.json"));
        Files.deleteIfExists(metaspaceDir);
    }

    @Property(tries = 300)
    void mixtralStreamsRealisticIdsAsTheFullDecodeDoes(@ForAll("realisticIds") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        assertThat(mixtral.decodesPiecewise()).isFalse();

        assertSamePieces(mixtral, ids, List.of());
        assertSamePieces(mixtral, ids, stopsFrom(mixtral.decode(ids), stopCount, seed));
    }

    @Property(tries = 300)
    void mixtralStreamsRealTextsAsTheFullDecodeDoes(@ForAll("goldenText") String text,
            @ForAll @IntRange(min = 1, max = 3) int stopCount, @ForAll long seed) {
        int[] ids = mixtral.encode(text);

        assertSamePieces(mixtral, ids, List.of());
        assertSamePieces(mixtral, ids, stopsFrom(text, stopCount, seed));
    }

    @Property(tries = 300)
    void metaspaceStreamsRealisticIdsAsTheFullDecodeDoes(@ForAll("realisticIds") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        assertSamePieces(metaspace, ids, List.of());
        assertSamePieces(metaspace, ids, stopsFrom(metaspace.decode(ids), stopCount, seed));
    }

    @Property(tries = 300)
    void mixtralStreamsRandomIdsAsTheFullDecodeDoesWhereThatTakesNothingBack(@ForAll("randomIds") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        compareOrCheckOwnContract(mixtral, ids, stopsFrom(mixtral.decode(ids), stopCount, seed));
    }

    @Property(tries = 300)
    void metaspaceStreamsRandomIdsAsTheFullDecodeDoesWhereThatTakesNothingBack(@ForAll("randomIds") int[] ids,
            @ForAll @IntRange(max = 3) int stopCount, @ForAll long seed) {
        compareOrCheckOwnContract(metaspace, ids, stopsFrom(metaspace.decode(ids), stopCount, seed));
    }

    private static void compareOrCheckOwnContract(TextTokenizer tokenizer, int[] ids, List<String> stops) {
        boolean stable = neverTakesBack(tokenizer, ids);
        if (stable) {
            assertSamePieces(tokenizer, ids, stops);
        } else {
            TextStream stream = new TextStream(tokenizer, stops);
            StringBuilder pieces = new StringBuilder();
            for (int i = 0; i < ids.length && !stream.stopped(); i++) {
                pieces.append(stream.push(ids[i]));
            }
            pieces.append(stream.finish());
            assertThat(stream.text()).isEqualTo(pieces.toString());
        }
        Statistics.label("the full decode takes nothing back").collect(stable)
                .coverage(k -> k.check(true).percentage(p -> p > 40));
    }

    /**
     * Whether no id makes the decode take back text it gave as complete: each decode of the first n ids, less
     * its trailing U+FFFD, starts the decode of the first n + 1. (Even a take-back that a later id undoes
     * counts: the full-decode twin may meet a stop string in the text taken back.)
     */
    private static boolean neverTakesBack(TextTokenizer tokenizer, int[] ids) {
        String before = "";
        for (int n = 1; n <= ids.length; n++) {
            String text = tokenizer.decode(Arrays.copyOf(ids, n));
            int complete = before.length();
            while (complete > 0 && before.charAt(complete - 1) == '\uFFFD') {
                complete--;
            }
            if (!text.startsWith(before.substring(0, complete))) {
                return false;
            }
            before = text;
        }
        return true;
    }

    private static void assertSamePieces(TextTokenizer tokenizer, int[] ids, List<String> stops) {
        TextStream stream = new TextStream(tokenizer, stops);
        FullDecodeTextStream reference = new FullDecodeTextStream(tokenizer, stops);
        StringBuilder pieces = new StringBuilder();
        for (int i = 0; i < ids.length && !reference.stopped(); i++) {
            String piece = stream.push(ids[i]);
            assertThat(piece).as("piece %d of %s, stops %s", i, Arrays.toString(ids), stops)
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

    /**
     * What a model emits: pieces, special tokens and whole characters as byte tokens (the characters outside
     * the vocabulary, one to four bytes). A character cut short by a length limit is among the random ids:
     * its bytes make the whole byte group U+FFFD in a full decode, characters already released included.
     */
    @Provide
    Arbitrary<int[]> realisticIds() {
        Arbitrary<int[]> piece = Arbitraries.integers().between(FIRST_PIECE, vocab - 1).map(id -> new int[] {id});
        Arbitrary<int[]> special = Arbitraries.integers().between(0, 2).map(id -> new int[] {id});
        Arbitrary<int[]> character = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, 0x7F)),
                Tuple.of(2, Arbitraries.integers().between(0x80, 0x7FF)),
                Tuple.of(2, Arbitraries.integers().between(0x800, 0xD7FF)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF)))
                .map(SentencePieceTextStreamPropertiesTest::byteTokens);
        return Arbitraries.frequencyOf(Tuple.of(5, piece), Tuple.of(3, character), Tuple.of(1, special))
                .list().ofMaxSize(120)
                .map(units -> units.stream().flatMapToInt(IntStream::of).toArray());
    }

    @Provide
    Arbitrary<String> goldenText() {
        return Arbitraries.of(goldenTexts);
    }

    /** Any ids: pieces, special tokens, lone bytes (continuation bytes and lead bytes of any length). */
    @Provide
    Arbitrary<int[]> randomIds() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(FIRST_PIECE, vocab - 1)),
                Tuple.of(2, Arbitraries.integers().between(FIRST_BYTE + 0x80, FIRST_BYTE + 0xFF)),
                Tuple.of(1, Arbitraries.integers().between(FIRST_BYTE, FIRST_BYTE + 0x7F)),
                Tuple.of(1, Arbitraries.integers().between(0, 2)))
                .array(int[].class).ofMaxSize(200);
    }

    private static int[] byteTokens(int codePoint) {
        byte[] utf8 = Character.toString(codePoint).getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            ids[i] = FIRST_BYTE + (utf8[i] & 0xFF);
        }
        return ids;
    }
}
