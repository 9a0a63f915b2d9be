package io.moemesh.core.engine;

/**
 * The log probability of a generated token and of the {@code topIds.length} most likely tokens at
 * its position (most likely first, ties toward the lower id; the generated token may be among them).
 *
 * <p>These are the model's raw probabilities: the log-softmax of the logits as the model gave them,
 * before penalties, temperature, top-k and top-p. That is what OpenAI documents ("the log probability
 * of each output token" under the model) and what vLLM returns by default ({@code logprobs_mode =
 * raw_logprobs}); it does not change with the sampling settings, so it means the same for every
 * request, and greedy decoding's token is always the most likely (without penalties).
 *
 * <p>The arrays are the caller's to read, not copied; {@code equals} compares them by identity.
 */
public record TokenLogprobs(int token, float logprob, int[] topIds, float[] topLogprobs) {

    public TokenLogprobs {
        assert topIds.length == topLogprobs.length;
    }

    /**
     * Computes them from {@code logits[off .. off + vocab)}: {@code log p(j) = x_j - max - log Σ exp(x_i - max)},
     * in double: the sum after subtracting the maximum, so no term overflows, and {@code x_j - max} before
     * the logarithm is taken off, so a huge maximum does not swallow it.
     */
    public static TokenLogprobs of(float[] logits, int off, int vocab, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        double logSum = Math.log(sum);
        int[] ids = topIds(logits, off, vocab, Math.min(top, vocab));
        float[] logprobs = new float[ids.length];
        for (int k = 0; k < ids.length; k++) {
            logprobs[k] = (float) (logits[off + ids[k]] - max - logSum);
        }
        return new TokenLogprobs(token, (float) (logits[off + token] - max - logSum), ids, logprobs);
    }

    /**
     * The {@code n} largest logits' ids, in {@link Sampler#key} order (descending, ties toward the lower id):
     * an insertion into a sorted array of n keys, which most logits skip after one comparison with the last.
     */
    private static int[] topIds(float[] logits, int off, int vocab, int n) {
        long[] best = new long[n];
        int size = 0;
        for (int i = 0; i < vocab && n > 0; i++) {
            long key = Sampler.key(logits[off + i], i);
            if (size == n && key >= best[n - 1]) {
                continue;
            }
            int at = size == n ? n - 1 : size++;
            while (at > 0 && best[at - 1] > key) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = key;
        }
        int[] ids = new int[size];
        for (int k = 0; k < size; k++) {
            ids[k] = Sampler.id(best[k]);
        }
        return ids;
    }
}
