package io.moemesh.core.kernel;

import io.moemesh.core.tensor.WeightMatrix;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API ({@code jdk.incubator.vector}) at the platform's preferred width,
 * each with a scalar tail for lengths that are not a multiple of the lane count. They agree with
 * {@link ScalarKernels} up to float rounding: lane-wise partial sums add in a different order and
 * exp is a polynomial ({@link VectorMath}). They give the same bits whether interpreted or compiled.
 *
 * <p>Only load this class after checking that the module is present ({@link Kernels#best()} does).
 */
public final class VectorKernels implements Kernels {

    static final VectorKernels INSTANCE = new VectorKernels();

    private static final VectorSpecies<Float> F = VectorMath.F;

    private VectorKernels() {
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int batch, float[] out) {
        VectorMatmul.matmul(w, x, batch, out);
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int size) {
        float sumOfSquares = dot(x, xOff, x, xOff, size);
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / size + eps));
        int i = 0;
        for (int bound = F.loopBound(size); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            v.mul(scale).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, outOff + i);
        }
        for (; i < size; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector silu = g.div(VectorMath.exp(g.neg()).add(1f));
            silu.mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (VectorMath.exp(-g) + 1f) * up[i];
        }
    }

    @Override
    public void softmax(float[] x, int off, int size) {
        float max = max(x, off, size);
        // Exponents of (x - max) are <= 0, so nothing overflows however large the logits are.
        FloatVector sums = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(size); i < bound; i += F.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, off + i).sub(max));
            e.intoArray(x, off + i);
            sums = sums.add(e);
        }
        float sum = VectorMath.sum(sums);
        for (; i < size; i++) {
            x[off + i] = VectorMath.exp(x[off + i] - max);
            sum += x[off + i];
        }
        float inverse = 1f / sum;
        i = 0;
        for (int bound = F.loopBound(size); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).mul(inverse).intoArray(x, off + i);
        }
        for (; i < size; i++) {
            x[off + i] *= inverse;
        }
    }

    private static float max(float[] x, int off, int size) {
        FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(size); i < bound; i += F.length()) {
            maxes = maxes.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; i < size; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    /** Rotates pairs half a head apart; too little work per token to be worth vectorising. */
    @Override
    public void rope(float[] x, int off, int nHeads, int headDim, float[] cos, float[] sin) {
        ScalarKernels.INSTANCE.rope(x, off, nHeads, headDim, cos, sin);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = VectorMath.sum(acc);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector alphas = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i)
                    .fma(alphas, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
