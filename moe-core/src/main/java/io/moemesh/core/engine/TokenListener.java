package io.moemesh.core.engine;

/** Receives tokens as they are generated: {@code request} is the index of the request in the batch. */
@FunctionalInterface
public interface TokenListener {

    TokenListener NONE = (request, tokenId, text, logprobs) -> { };

    /**
     * {@code text} is the text that became final with this token; it may be empty. {@code logprobs} is
     * null unless the request's {@link SamplingParams#logprobs()} asks for them, and for the EOS token
     * that ends a sequence, which is not part of the output.
     */
    void onToken(int request, int tokenId, String text, TokenLogprobs logprobs);
}
