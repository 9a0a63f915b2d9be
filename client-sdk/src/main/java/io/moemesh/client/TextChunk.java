package io.moemesh.client;

import java.util.List;

/**
 * Tokens generated since the previous chunk, and the text that became final with them. The text
 * may be empty while a multi-byte character is still incomplete; concatenating the texts of all
 * chunks gives the generated text.
 *
 * @param tokenIds the tokens, in order
 * @param text     the text that became final with them
 * @param logprobs with {@link GenerateOptions#logprobs()}: {@code logprobs.get(i)} belongs to
 *                 {@code tokenIds.get(i)}; empty when not asked for. The EOS token that ends a
 *                 generation (finish reason EOS) is the last of the last chunk's token ids but has no
 *                 entry here, as it is not part of the text, so that chunk has one entry fewer
 */
public record TextChunk(List<Integer> tokenIds, String text, List<TokenLogprob> logprobs) {

    public TextChunk {
        tokenIds = List.copyOf(tokenIds);
        logprobs = List.copyOf(logprobs);
    }

    /** A chunk without log probabilities. */
    public TextChunk(List<Integer> tokenIds, String text) {
        this(tokenIds, text, List.of());
    }
}
