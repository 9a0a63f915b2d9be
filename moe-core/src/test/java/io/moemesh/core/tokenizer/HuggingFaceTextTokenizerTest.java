package io.moemesh.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.engine.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class HuggingFaceTextTokenizerTest {

    /**
     * {@code tokenizer_golden.json} holds held-out texts in every corpus language plus edge cases for the split
     * pattern, with the ids that tools/reference/bpe_tokenizer.py (the encoder the model was trained and
     * evaluated with) gives them. DJL must give the same ids, or the engine would feed the model other tokens
     * than it was trained on.
     */
    @Test
    void defaultModelTokenizerEncodesExactlyAsTheTrainingEncoder() throws Exception {
        Path model = Path.of(System.getProperty("moemesh.tokenizer.golden.dir", TestModels.meshMini().toString()));
        JsonNode golden = JsonMapper.builder().build().readTree(Files.readString(model.resolve("tokenizer_golden.json")));
        int cases = 0;
        int mergedTokens = 0;
        try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
            for (JsonNode c : golden.get("cases")) {
                String text = c.get("text").asString();
                int[] expected = new int[c.get("ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = c.get("ids").get(i).intValue();
                    mergedTokens += expected[i] >= 258 ? 1 : 0;
                }

                assertThat(tokenizer.encode(text)).as("ids of %s", text).containsExactly(expected);
                assertThat(tokenizer.decode(expected)).as("decode of %s", text).isEqualTo(text);
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(200);
        assertThat(mergedTokens).as("the golden texts exercise the BPE merges").isGreaterThan(1000);
    }

    @Test
    void byteLevelTokenizerMapsEveryUtf8ByteToItsOwnId() {
        try (TextTokenizer tokenizer = TextTokenizer.load(TestModels.tinyRandom())) {
            String text = "Zürich — Ελληνικά 日本";
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);

            int[] ids = tokenizer.encode(text);

            assertThat(ids).hasSize(bytes.length);
            for (int i = 0; i < bytes.length; i++) {
                assertThat(ids[i]).isEqualTo(bytes[i] & 0xFF);
            }
        }
    }

    @Test
    void decodeInvertsEncodeAndDropsSpecialTokens() {
        try (TextTokenizer tokenizer = TextTokenizer.load(TestModels.tinyRandom())) {
            int[] ids = tokenizer.encode(" leading space, tabs\tand\nnewlines ");
            int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
            withEos[ids.length] = 257; // </s>

            assertThat(tokenizer.decode(withEos)).isEqualTo(" leading space, tabs\tand\nnewlines ");
        }
    }

    @Test
    void aByteLevelTokenThatIsHalfACharacterKeepsItsByte() {
        try (TextTokenizer tokenizer = TextTokenizer.load(TestModels.tinyRandom())) {
            assertThat(tokenizer.decode(new int[] {0xC3})).isEqualTo("\uFFFD");

            assertThat(tokenizer.tokenBytes(0xC3)).containsExactly(0xC3);
            assertThat(tokenizer.tokenBytes(' ')).containsExactly(' ');
            assertThat(tokenizer.tokenBytes(0)).containsExactly(0);
            assertThat(tokenizer.tokenBytes(257)).isEqualTo("</s>".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void theBytesOfMergedTokensAddUpToTheText() {
        try (TextTokenizer tokenizer = TextTokenizer.load(TestModels.meshMini())) {
            String text = "Zürich — Ελληνικά, the quick brown fox 日本";
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int[] ids = tokenizer.encode(text);

            for (int id : ids) {
                bytes.writeBytes(tokenizer.tokenBytes(id));
            }

            assertThat(java.util.Arrays.stream(ids).max().orElseThrow()).isGreaterThanOrEqualTo(258); // merges too
            assertThat(bytes.toByteArray()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aByteLevelDecoderDecodesPiecewise() {
        try (TextTokenizer tokenizer = TextTokenizer.load(TestModels.meshMini())) {
            assertThat(tokenizer.decodesPiecewise()).isTrue();
        }
    }

    /** SentencePiece's decoder strips the space that starts the text: decoding a suffix alone would drop it. */
    @Test
    void anotherDecoderDoesNotDecodePiecewise(@TempDir Path dir) throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode root = (ObjectNode) json.readTree(
                TestModels.meshMini().resolve("tokenizer.json").toFile());
        root.set("decoder", json.readTree("""
                {"type": "Sequence", "decoders": [
                  {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
                  {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
                """));
        Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(root));

        try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
            assertThat(tokenizer.decode(tokenizer.encode(" a b"))).isEqualTo("a b");
            assertThat(tokenizer.decodesPiecewise()).isFalse();
        }
    }

    @Test
    void namesAMissingTokenizerFile(@TempDir Path dir) {
        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());
    }

    @Test
    void rejectsATokenizerFileThatIsNotJson(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "not a tokenizer");

        assertThatThrownBy(() -> TextTokenizer.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid Hugging Face tokenizer.json");
    }
}
