package io.moemesh.expert.batching;

import io.moemesh.core.model.ExpertWeights;

/**
 * Runs one unit's FFN over a batch: {@code out[t·H ..] = FFN(x[t·H ..])} for {@code t < tokens}.
 * Called concurrently from the worker threads; the kernels are batch-invariant, so a token's
 * output does not depend on which batch it lands in (ADR 0001).
 */
@FunctionalInterface
public interface FfnRunner {

    void forward(ExpertWeights weights, float[] x, int tokens, float[] out);
}
