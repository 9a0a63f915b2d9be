package io.moemesh.core.engine;

import java.util.Arrays;

/**
 * OpenAI's presence and frequency penalties for one sequence: {@code logit[j] -= frequency * count[j]
 * + presence * (count[j] > 0)}, where {@code count[j]} is how often token j was generated so far
 * (the prompt does not count). The arithmetic mirrors vLLM's {@code apply_penalties}
 * ({@code logits -= frequency_penalties * output_bin_counts}, then {@code logits -= presence_penalties
 * * output_mask}): two float subtractions, only at the ids that occurred.
 *
 * <p>The penalised row is a copy in this object's own buffer: the logits passed in may be a batch
 * buffer, and the log probabilities are taken from the raw row afterwards. One thread at a time,
 * like the sequence it belongs to.
 */
final class Penalties {

    private final float presence;
    private final float frequency;
    private int[] counts = new int[0];
    private int[] seen = new int[16]; // the distinct ids generated so far, in the order of their first occurrence
    private int distinct;
    private float[] row = new float[0];

    Penalties(float presence, float frequency) {
        this.presence = presence;
        this.frequency = frequency;
    }

    /** {@code logits[off .. off + vocab)} with the penalties applied, in a buffer valid until the next call. */
    float[] apply(float[] logits, int off, int vocab) {
        if (row.length != vocab) {
            row = new float[vocab];
        }
        System.arraycopy(logits, off, row, 0, vocab);
        for (int i = 0; i < distinct; i++) {
            int j = seen[i];
            if (j < vocab) {
                row[j] -= frequency * counts[j];
                row[j] -= presence;
            }
        }
        return row;
    }

    /** Counts a generated token. */
    void add(int token) {
        if (token >= counts.length) {
            counts = Arrays.copyOf(counts, Math.max(token + 1, counts.length * 2));
        }
        if (counts[token]++ == 0) {
            if (distinct == seen.length) {
                seen = Arrays.copyOf(seen, distinct * 2);
            }
            seen[distinct++] = token;
        }
    }
}
