package io.moemesh.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A generated token's log probability, asked for with {@link GenerateOptions.Builder#logprobs(boolean)}.
 * It is the model's raw distribution at that position (the logits' log-softmax), before penalties,
 * temperature, top-k and top-p: it does not change with the sampling settings.
 *
 * @param tokenId the generated token's id
 * @param logprob its natural-log probability, {@code <= 0}
 * @param bytes   the token's own bytes as the tokenizer decodes it alone: for a byte-level tokenizer
 *                possibly part of a multi-byte UTF-8 character, so not always valid text (a special
 *                token gives its text); copied in and out, so the record stays immutable
 * @param top     the {@link GenerateOptions#topLogprobs()} most likely tokens at this position, most
 *                likely first (ties: lower id first); the generated token may or may not be among them
 */
public record TokenLogprob(int tokenId, float logprob, byte[] bytes, List<TopLogprob> top) {

    public TokenLogprob {
        bytes = bytes.clone();
        top = List.copyOf(top);
    }

    /** A copy of the token's bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes as UTF-8, with U+FFFD standing for a part of a character (use {@link #bytes()} for the exact token). */
    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenLogprob that && tokenId == that.tokenId
                && Float.compare(logprob, that.logprob) == 0 && Arrays.equals(bytes, that.bytes)
                && top.equals(that.top);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tokenId, logprob, Arrays.hashCode(bytes), top);
    }

    @Override
    public String toString() {
        return "TokenLogprob[tokenId=" + tokenId + ", logprob=" + logprob + ", bytes=" + HexFormat.of().formatHex(bytes)
                + ", top=" + top + "]";
    }
}
