package io.moemesh.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One of the most likely tokens at a position, an alternative to the token generated there
 * ({@link TokenLogprob#top()}).
 *
 * @param tokenId the token's id in the model's vocabulary
 * @param logprob its natural-log probability under the model, {@code <= 0}
 * @param bytes   the token's own bytes as the tokenizer decodes it alone: for a byte-level tokenizer
 *                possibly part of a multi-byte UTF-8 character, so not always valid text; copied in and
 *                out, so the record stays immutable
 */
public record TopLogprob(int tokenId, float logprob, byte[] bytes) {

    public TopLogprob {
        bytes = bytes.clone();
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
        return other instanceof TopLogprob that && tokenId == that.tokenId
                && Float.compare(logprob, that.logprob) == 0 && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * tokenId + Float.hashCode(logprob)) + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "TopLogprob[tokenId=" + tokenId + ", logprob=" + logprob + ", bytes=" + HexFormat.of().formatHex(bytes) + "]";
    }
}
