package io.moemesh.client;

import java.util.List;

/**
 * Tokens generated since the previous chunk, and the text that became final with them. The text
 * may be empty while a multi-byte character is still incomplete; concatenating the texts of all
 * chunks gives the generated text.
 */
public record TextChunk(List<Integer> tokenIds, String text) {

    public TextChunk {
        tokenIds = List.copyOf(tokenIds);
    }
}
