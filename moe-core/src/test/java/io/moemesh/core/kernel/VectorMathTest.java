package io.moemesh.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    private static float[] samples() {
        SplittableRandom random = new SplittableRandom(3);
        float[] x = new float[VectorMath.F.length() * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-100, 100);
        }
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 1f;
        x[3] = -87.3f;
        return x;
    }

    @Test
    void vectorExpEqualsItsScalarTwinBitForBit() {
        float[] x = samples();
        float[] lanes = new float[VectorMath.F.length()];
        for (int i = 0; i < x.length; i += lanes.length) {
            VectorMath.exp(FloatVector.fromArray(VectorMath.F, x, i)).intoArray(lanes, 0);
            for (int j = 0; j < lanes.length; j++) {
                assertThat(lanes[j]).as("exp(%s)", x[i + j]).isEqualTo(VectorMath.exp(x[i + j]));
            }
        }
    }

    @Test
    void expIsWithinTwoUlpOfMathExpWhereTheResultIsNormal() {
        for (float x : samples()) {
            if (x < -87.3f || x > 88.3f) {
                continue;
            }
            float expected = (float) Math.exp(x);
            assertThat(Math.abs(VectorMath.exp(x) - expected)).as("exp(%s)", x).isLessThanOrEqualTo(2 * Math.ulp(expected));
        }
    }

    @Test
    void expSaturatesInsteadOfOverflowingOrGoingSubnormal() {
        assertThat(VectorMath.exp(-1000f)).isPositive().isLessThan(2e-38f);
        assertThat(VectorMath.exp(1000f)).isFinite().isGreaterThan(1e38f);
    }

    @Test
    void laneSumsAddInAFixedPairwiseTree() {
        float[] values = new float[VectorMath.F.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 3 == 0 ? 1e8f : 1f + i; // order-sensitive: small terms vanish next to large ones
        }
        float sum = VectorMath.sum(FloatVector.fromArray(VectorMath.F, values, 0));

        float[] level = values.clone();
        for (int width = level.length / 2; width > 0; width /= 2) {
            float[] next = new float[level.length];
            for (int i = 0; i < level.length; i++) {
                next[i] = level[i] + level[i ^ width];
            }
            level = next;
        }
        assertThat(sum).isEqualTo(level[0]);
    }
}
