package io.moemesh.core.kernel;

import io.moemesh.core.tensor.WeightMatrix;
import java.util.Locale;

/**
 * The numeric kernels of the engine. {@link ScalarKernels} is the obviously-correct reference;
 * {@link VectorKernels} uses the Vector API and must agree with it within float rounding.
 * Implementations are stateless and thread-safe: all scratch space is passed in.
 */
public interface Kernels {

    /**
     * {@code out[b * w.rows() + r] = sum_c w[r, c] * x[b * w.cols() + c]} for every {@code b < batch}:
     * {@code y = x · Wᵀ}, as {@code torch.nn.functional.linear}. Accumulates in float32.
     * A batch of 1 is a matrix-vector product.
     */
    void matmul(WeightMatrix w, float[] x, int batch, float[] out);

    /** RMSNorm (Zhang &amp; Sennrich 2019, as HF MixtralRMSNorm): {@code out = x / sqrt(mean(x²) + eps) * weight}. */
    void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int size);

    /** SwiGLU activation in place: {@code gate[i] = silu(gate[i]) * up[i]} for {@code i < n}. */
    void swiglu(float[] gate, float[] up, int n);

    /** Numerically stable softmax of {@code x[off .. off + size)} in place. */
    void softmax(float[] x, int off, int size);

    /**
     * Rotary position embedding in place on {@code nHeads} heads of {@code headDim} starting at {@code off},
     * in the HF "rotate_half" layout: element {@code i} pairs with {@code i + headDim/2}.
     * {@code cos} and {@code sin} hold {@code headDim/2} values for this token's position.
     */
    void rope(float[] x, int off, int nHeads, int headDim, float[] cos, float[] sin);

    /** Dot product of {@code a[aOff .. aOff + n)} and {@code b[bOff .. bOff + n)}. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code y[yOff + i] += alpha * x[xOff + i]} for {@code i < n}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    static Kernels vector() {
        return VectorKernels.INSTANCE;
    }

    /**
     * Kernels chosen by name, as configuration and the CLI spell them: {@code best}, {@code vector}
     * or {@code scalar}. Asking for {@code vector} on a JVM without the Vector API is an error that
     * says how to start the JVM, not a class-loading failure later.
     */
    static Kernels named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "best" -> best();
            case "scalar" -> scalar();
            case "vector" -> {
                if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                    throw new IllegalStateException("vector kernels need the Vector API: start the JVM with "
                            + "--add-modules jdk.incubator.vector (or use best)");
                }
                yield vector();
            }
            default -> throw new IllegalArgumentException("kernels must be best, vector or scalar, got '" + name + "'");
        };
    }

    /**
     * The fastest implementation this JVM supports; call once at start-up and pass it on.
     * The module check happens here, before anything touches a vector type: loading
     * {@link VectorKernels} on a JVM started without {@code --add-modules jdk.incubator.vector}
     * would fail with {@link NoClassDefFoundError}.
     */
    static Kernels best() {
        boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return vectorApi ? vector() : scalar();
    }
}
