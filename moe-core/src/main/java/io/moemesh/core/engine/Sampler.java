package io.moemesh.core.engine;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks next tokens for one sequence; owns that sequence's random generator, so one seed gives one output.
 * Used by one thread at a time, like the sequence it belongs to.
 */
public final class Sampler {

    private final SamplingParams params;
    private final RandomGenerator random;
    private long[] keys = new long[0];
    private double[] probs = new double[0];

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(params.seed());
    }

    /** Chooses a token from {@code logits[off .. off + vocab)}; the array is not modified. */
    public int next(float[] logits, int off, int vocab) {
        if (params.isGreedy()) {
            return argmax(logits, off, vocab);
        }
        int keep = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        long[] order = candidates(logits, off, vocab, keep);
        if (probs.length < keep) {
            probs = new double[keep];
        }
        // The sums run in candidate order, so they round exactly as they always have: one seed, one output.
        double max = logits[off + id(order[0])] / (double) params.temperature();
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[off + id(order[i])] / (double) params.temperature() - max);
            sum += probs[i];
        }
        double cumulative = 0;
        int nucleus = keep;
        for (int i = 0; i < keep; i++) {
            cumulative += probs[i] / sum;
            if (cumulative >= params.topP()) {
                nucleus = i + 1;
                break;
            }
        }
        double total = sum; // the same additions in the same order when the nucleus is every candidate
        if (nucleus < keep) {
            total = 0;
            for (int i = 0; i < nucleus; i++) {
                total += probs[i];
            }
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            r -= probs[i];
            if (r < 0) {
                return id(order[i]);
            }
        }
        return id(order[nucleus - 1]);
    }

    /**
     * The {@code keep} most likely ids, as sort keys in {@code keys[0 .. keep)}: descending by logit
     * ({@link Float#compare} order, so NaN first and 0.0 before -0.0), ties toward the lower id. One
     * primitive sort of {@code long}s instead of a comparator over boxed ids.
     */
    private long[] candidates(float[] logits, int off, int vocab, int keep) {
        if (keys.length < vocab) {
            keys = new long[vocab];
        }
        for (int i = 0; i < vocab; i++) {
            keys[i] = key(logits[off + i], i);
        }
        if (keep < vocab) {
            selectSmallest(keys, vocab, keep);
        }
        Arrays.sort(keys, 0, keep);
        return keys;
    }

    /**
     * A long that sorts ascending as (logit descending, id ascending): the float's bits made
     * order-preserving as a signed int (negative floats have their magnitude bits flipped), then
     * complemented to reverse the order, in the high half; the id in the low half.
     */
    static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit); // one NaN, as Float.compare sees them
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ~ascending << 32) | id;
    }

    static int id(long key) {
        return (int) key;
    }

    /**
     * Moves the {@code k} smallest of {@code keys[0 .. n)} into {@code keys[0 .. k)}, in no particular
     * order (Hoare's selection, expected linear time). Keys are distinct, so the set is the same
     * whatever the pivots.
     */
    static void selectSmallest(long[] keys, int n, int k) {
        int lo = 0;
        int hi = n - 1;
        int target = k - 1;
        while (lo < hi) {
            long pivot = keys[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (keys[i] < pivot) {
                    i++;
                }
                while (keys[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long swap = keys[i];
                    keys[i++] = keys[j];
                    keys[j--] = swap;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    /** Index of the largest logit; the lowest index wins a tie (as {@code torch.argmax}). */
    public static int argmax(float[] logits, int off, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[off + i] > logits[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
