package io.moemesh.core.model;

/**
 * The tokens of one forward step, from one or more sequences: token {@code i} sits at
 * {@code positions[i]} of the sequence whose cache is {@code caches[i]}. Tokens of one sequence
 * appear in ascending position order, so a whole prompt (prefill) and single decode tokens of many
 * sequences (continuous batching) take the same path. {@code wantLogits[i]} asks for its logits.
 */
public record TokenBatch(int[] tokens, int[] positions, KvCache[] caches, boolean[] wantLogits) {

    public TokenBatch {
        int n = tokens.length;
        if (n == 0 || positions.length != n || caches.length != n || wantLogits.length != n) {
            throw new IllegalArgumentException("a token batch needs equal, non-zero numbers of tokens, positions, "
                    + "caches and logit flags");
        }
    }

    public int size() {
        return tokens.length;
    }

    public int logitRows() {
        int rows = 0;
        for (boolean w : wantLogits) {
            rows += w ? 1 : 0;
        }
        return rows;
    }
}
