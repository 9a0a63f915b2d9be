package io.moemesh.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BFloat16Test {

    @Test
    void keepsValuesThatAreAlreadyBf16() {
        assertThat(BFloat16.round(1.5f)).isEqualTo(1.5f);
        assertThat(BFloat16.round(-0.0f)).isEqualTo(-0.0f);
        assertThat(BFloat16.round(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void roundsToNearestWithTiesToEven() {
        float ulp = 0x1p-7f; // bf16 spacing in [1, 2)
        assertThat(BFloat16.round(1f + ulp * 0.49f)).isEqualTo(1f);
        assertThat(BFloat16.round(1f + ulp * 0.51f)).isEqualTo(1f + ulp);
        assertThat(BFloat16.round(1f + ulp * 0.5f)).isEqualTo(1f);           // tie -> even mantissa (1.0)
        assertThat(BFloat16.round(1f + ulp * 1.5f)).isEqualTo(1f + 2 * ulp); // tie -> even mantissa
    }

    @Test
    void roundsTheLargestFiniteValueUpToInfinityLikePyTorch() {
        assertThat(BFloat16.round(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void mapsNanToNan() {
        assertThat(BFloat16.round(Float.NaN)).isNaN();
    }
}
