package io.moemesh.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text to token ids and back. Implementations are thread-safe. */
public interface TextTokenizer extends AutoCloseable {

    /**
     * Encodes text as {@code tokenizer(text)} does in transformers: special tokens are added only
     * where the tokenizer's post-processor asks for them (Mixtral's adds BOS).
     */
    int[] encode(String text);

    /** Decodes ids to text, keeping special tokens out of the output. */
    String decode(int[] ids);

    /**
     * The bytes of one token on its own, for log probabilities: a byte-level token may be part of a
     * multi-byte UTF-8 character, so these are bytes, not text. A special token gives its text. This
     * default is the UTF-8 of {@code decode} of the id alone, which turns an incomplete character into
     * U+FFFD and drops special tokens; implementations that can do better override it.
     */
    default byte[] tokenBytes(int id) {
        return decode(new int[] {id}).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Whether {@code decode(a ++ b)} equals {@code decode(a) + decode(b)} whenever {@code decode(a)} is
     * empty or does not end in U+FFFD, so a stream may decode only the ids after such a point. Not
     * true of every tokenizer (a SentencePiece decoder strips the space that starts the text, a
     * WordPiece one joins tokens with spaces), so it is false unless an implementation knows better.
     */
    default boolean decodesPiecewise() {
        return false;
    }

    /**
     * Whether {@link #decode} leaves this id out of its output entirely (a special token such as EOS),
     * so that the decode of any ids is the same with or without it. A stream need not decode such an id
     * at all. False unless an implementation knows.
     */
    default boolean skippedInDecode(int id) {
        return false;
    }

    @Override
    void close();

    /** Loads a Hugging Face {@code tokenizer.json} from a model directory (or the file itself). */
    static TextTokenizer load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        return HuggingFaceTextTokenizer.load(file);
    }
}
