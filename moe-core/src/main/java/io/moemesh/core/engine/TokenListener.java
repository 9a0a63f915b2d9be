package io.moemesh.core.engine;

/** Receives tokens as they are generated: {@code request} is the index of the request in the batch. */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = (request, tokenId, text) -> { };

    /** {@code text} is the text that became final with this token; it may be empty. */
    void onToken(int request, int tokenId, String text);
}
