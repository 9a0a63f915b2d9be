package io.moemesh.placement.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    private static final long[] BOUNDS = {1_000, 2_000, 5_000};

    @Test
    void interpolatesInsideTheBucketHoldingTheQuantile() {
        LatencyHistogram h = new LatencyHistogram();
        h.add(BOUNDS, new long[] {0, 10, 0, 0});

        assertThat(h.quantileMillis(0.5)).isCloseTo(1.5, within(1e-9));
        assertThat(h.quantileMillis(0.99)).isCloseTo(1.99, within(1e-9));
    }

    @Test
    void mergesRoutersByBucketBound() {
        LatencyHistogram h = new LatencyHistogram();
        h.add(BOUNDS, new long[] {5, 0, 0, 0});
        h.add(BOUNDS, new long[] {5, 10, 0, 0});

        assertThat(h.total()).isEqualTo(20);
        // 10 calls up to 1 ms, then 10 between 1 and 2 ms: the 15th is halfway through the second bucket
        assertThat(h.quantileMillis(0.75)).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void callsSlowerThanTheLastBoundReadAsThatBound() {
        LatencyHistogram h = new LatencyHistogram();
        h.add(BOUNDS, new long[] {1, 0, 0, 99});

        assertThat(h.quantileMillis(0.99)).isEqualTo(5.0);
    }

    @Test
    void noCallsNoQuantile() {
        LatencyHistogram h = new LatencyHistogram();
        h.add(BOUNDS, new long[] {0, 0, 0, 0});

        assertThat(h.quantileMillis(0.5)).isNull();
    }
}
