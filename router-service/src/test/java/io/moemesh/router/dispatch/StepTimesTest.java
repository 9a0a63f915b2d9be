package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepTimesTest {

    @Test
    void boundsGrowByAboutNinePercentFromSixteenMicrosecondsToSeconds() {
        long[] bounds = new StepTimes().snapshot().boundsMicros();

        assertThat(bounds[0]).isEqualTo(16);
        assertThat(bounds[8]).isEqualTo(32);
        assertThat(bounds[bounds.length - 1]).isGreaterThan(16_000_000);
        for (int i = 1; i < bounds.length; i++) {
            assertThat(bounds[i]).isGreaterThan(bounds[i - 1]);
            if (bounds[i - 1] >= 100) { // below, whole microseconds round the ratio up to 1.12
                assertThat((double) bounds[i] / bounds[i - 1]).isLessThan(1.10);
            }
        }
    }

    @Test
    void aDurationLandsInTheFirstBucketWhoseBoundHoldsIt() {
        StepTimes times = new StepTimes();
        long[] bounds = times.snapshot().boundsMicros();

        times.record(bounds[10] * 1000);       // exactly on a bound: that bucket
        times.record(bounds[10] * 1000 + 1);   // a nanosecond beyond: the next
        times.record(5_000);                   // 5 µs: below the first bound
        times.record(3_600_000_000_000L);      // an hour: the overflow count

        long[] counts = times.snapshot().counts();
        assertThat(counts[10]).isEqualTo(1);
        assertThat(counts[11]).isEqualTo(1);
        assertThat(counts[0]).isEqualTo(1);
        assertThat(counts[bounds.length]).isEqualTo(1);
        assertThat(counts).hasSize(bounds.length + 1);
    }
}
