package io.moemesh.expert.batching;

import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertFfn;
import io.moemesh.core.model.ExpertWeights;

/**
 * {@link FfnRunner} on the CPU kernels. Scratch is kept per worker thread (the pool is fixed) and
 * grows to the largest batch seen, so a steady stream of batches allocates nothing but its rows.
 */
public final class ExpertFfnRunner implements FfnRunner {

    private final ExpertFfn ffn;
    private final ThreadLocal<ExpertFfn.Scratch> scratch = new ThreadLocal<>();

    public ExpertFfnRunner(Kernels kernels) {
        this.ffn = new ExpertFfn(kernels);
    }

    @Override
    public void forward(ExpertWeights weights, float[] x, int tokens, float[] out) {
        ffn.forward(weights, x, tokens, scratchFor(tokens, weights.intermediateSize()), out);
    }

    private ExpertFfn.Scratch scratchFor(int tokens, int intermediateSize) {
        ExpertFfn.Scratch current = scratch.get();
        if (current == null || current.gate().length < tokens * intermediateSize) {
            current = ExpertFfn.Scratch.forTokens(tokens, intermediateSize);
            scratch.set(current);
        }
        return current;
    }
}
