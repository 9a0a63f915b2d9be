package io.moemesh.core.engine;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * {@link Sampler} as it was before issue 17, kept verbatim as the obviously-correct twin: it boxes and sorts
 * the whole vocabulary with a comparator for every sampled token. The fast sampler must pick the same token
 * for every input and seed.
 */
final class BoxedSortSampler {

    private final SamplingParams params;
    private final RandomGenerator random;

    BoxedSortSampler(SamplingParams params) {
        this.params = params;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(params.seed());
    }

    /** Chooses a token from {@code logits[off .. off + vocab)}; the array is not modified. */
    int next(float[] logits, int off, int vocab) {
        if (params.isGreedy()) {
            return Sampler.argmax(logits, off, vocab);
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        // Descending by logit, ties toward the lower id, so the candidate list is deterministic.
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(logits[off + b], logits[off + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int keep = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        double[] probs = new double[keep];
        double max = logits[off + order[0]] / (double) params.temperature();
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[off + order[i]] / (double) params.temperature() - max);
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
        double total = 0;
        for (int i = 0; i < nucleus; i++) {
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            r -= probs[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }
}
