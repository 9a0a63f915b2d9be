package io.moemesh.core.model;

import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.tensor.WeightMatrix;

/**
 * The SwiGLU expert FFN over a batch of tokens: {@code w2(silu(w1·x) * w3·x)}. One call multiplies
 * every weight matrix once for the whole batch, which is why the engine groups tokens per expert.
 */
public final class ExpertFfn {

    private final Kernels kernels;

    public ExpertFfn(Kernels kernels) {
        this.kernels = kernels;
    }

    /** Scratch for up to {@code capacity} tokens; one per thread or per call, never shared. */
    public record Scratch(float[] gate, float[] up) {
        public static Scratch forTokens(int capacity, int intermediateSize) {
            return new Scratch(new float[capacity * intermediateSize], new float[capacity * intermediateSize]);
        }
    }

    /** {@code out[t·H ..] = FFN(x[t·H ..])} for {@code t < tokens}. */
    public void forward(ExpertWeights w, float[] x, int tokens, Scratch scratch, float[] out) {
        forward(w.w1(), w.w3(), w.w2(), x, tokens, scratch, out);
    }

    /** The same FFN from its three matrices: a dense layer's MLP or a shared expert. */
    public void forward(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] x, int tokens, Scratch scratch,
            float[] out) {
        assert scratch.gate().length >= tokens * gate.rows() : "scratch too small";
        kernels.matmul(gate, x, tokens, scratch.gate());
        kernels.matmul(up, x, tokens, scratch.up());
        kernels.swiglu(scratch.gate(), scratch.up(), tokens * gate.rows());
        kernels.matmul(down, scratch.gate(), tokens, out);
    }
}
