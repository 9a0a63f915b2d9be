package io.moemesh.core.kernel;

import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;

/**
 * The reference kernels: plain loops in the order the math is written, float32 throughout, so that
 * every fast kernel has an obviously-correct twin to be tested against. Also the fallback when the
 * JVM runs without {@code jdk.incubator.vector}.
 */
public final class ScalarKernels implements Kernels {

    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int batch, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        assert x.length >= batch * cols : "x holds " + x.length + " floats, need " + batch * cols;
        assert out.length >= batch * rows : "out holds " + out.length + " floats, need " + batch * rows;
        MemorySegment data = w.data();
        boolean bf16 = w.dtype() == DType.BF16;
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                long rowStart = (long) r * cols;
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    float weight = bf16
                            ? WeightMatrix.bf16ToFloat(data.getAtIndex(WeightMatrix.BF16_LE, rowStart + c))
                            : data.getAtIndex(WeightMatrix.F32_LE, rowStart + c);
                    sum += weight * x[b * cols + c];
                }
                out[b * rows + r] = sum;
            }
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int size) {
        float sumOfSquares = 0f;
        for (int i = 0; i < size; i++) {
            sumOfSquares += x[xOff + i] * x[xOff + i];
        }
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / size + eps));
        for (int i = 0; i < size; i++) {
            out[outOff + i] = x[xOff + i] * scale * weight[i];
        }
    }

    @Override
    public void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    @Override
    public void softmax(float[] x, int off, int size) {
        // Subtracting the maximum keeps every exponent <= 0, so exp cannot overflow (Goodfellow et al., ch. 4.1).
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0f;
        for (int i = 0; i < size; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - max);
            sum += x[off + i];
        }
        float inverse = 1f / sum;
        for (int i = 0; i < size; i++) {
            x[off + i] *= inverse;
        }
    }

    /** Mirrors {@code rotate_half} / {@code apply_rotary_pos_emb} in HF {@code modeling_mixtral.py}. */
    @Override
    public void rope(float[] x, int off, int nHeads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float first = x[base + i];
                float second = x[base + i + half];
                x[base + i] = first * cos[i] - second * sin[i];
                x[base + i + half] = second * cos[i] + first * sin[i];
            }
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
