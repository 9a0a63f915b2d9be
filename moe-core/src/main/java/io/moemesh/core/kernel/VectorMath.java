package io.moemesh.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions and exp for the Vector API kernels that give the same bits however the JVM runs them.
 * {@code reduceLanes(ADD)} may add lanes in any order, and {@code lanewise(EXP)} is a different
 * algorithm when intrinsified than in the interpreter, so a process that has warmed up would
 * compute other floats than a fresh one; the distributed system must match the in-process engine
 * bit for bit (ADR 0001). Everything here uses only IEEE operations in a fixed order.
 */
final class VectorMath {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    // exp(x) = 2^n · e^r with n = round(x / ln 2), r = x - n·ln 2 (ln 2 split in two so r is exact),
    // e^r by the minimax polynomial of Cephes' expf (S. Moshier); within 2 ulp of Math.exp.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float[] POLY = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
            4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
    /** Adding and subtracting 1.5·2^23 rounds a float to the nearest integer (ties to even). */
    private static final float ROUND = 12582912f;
    /** Clamp so that 2^n stays a normal float: e^-87.3 ≈ 1.2e-38, e^88.3 ≈ 2.2e38. */
    private static final float MIN_ARG = -87.3f;
    private static final float MAX_ARG = 88.3f;

    private VectorMath() {
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, POLY[0]);
        for (int i = 1; i < POLY.length; i++) {
            p = p.fma(r, FloatVector.broadcast(F, POLY[i]));
        }
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /** The same arithmetic as one lane of {@link #exp(FloatVector)}, for loop tails. */
    static float exp(float x) {
        x = Math.min(Math.max(x, MIN_ARG), MAX_ARG);
        float n = x * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = POLY[0];
        for (int i = 1; i < POLY.length; i++) {
            p = Math.fma(p, r, POLY[i]);
        }
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /**
     * Shuffles that pair lane i with lane i ^ s for s = L/2, L/4, …, 1: adding each to the vector
     * halves the partial sums at every step, a fixed tree whose result lands in lane 0. Rearranging
     * and lane-wise adds are exact, so the tree gives the same bits interpreted and compiled.
     */
    private static final VectorShuffle<Float>[] TREE = tree();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] tree() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int distance = F.length() >> (k + 1);
            shuffles[k] = VectorShuffle.fromOp(F, i -> i ^ distance);
        }
        return shuffles;
    }

    /** The lanes of {@code v} summed in a fixed pairwise tree. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> shuffle : TREE) {
            v = v.add(v.rearrange(shuffle));
        }
        return v.lane(0);
    }

}
