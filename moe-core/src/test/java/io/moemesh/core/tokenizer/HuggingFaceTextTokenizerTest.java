package io.moemesh.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.engine.TestModels;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceTextTokenizerTest {

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
