package io.moemesh.router.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The traced-steps budget as a token bucket on an injected clock: bursts, refills, 0 and no limit. */
class StepTraceBudgetTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(123 * MS);

    @Test
    void aBurstAtOneInstantGetsExactlyOneSecondOfSteps() {
        StepTraceBudget budget = StepTraceBudget.perSecond(10, now::get);

        assertThat(tries(budget, 100)).isEqualTo(10);
    }

    @Test
    void refillsWithTheClockAtTheRate() {
        StepTraceBudget budget = StepTraceBudget.perSecond(10, now::get);
        tries(budget, 100);

        now.addAndGet(99 * MS);
        assertThat(budget.tryTrace()).as("99 ms: not yet one step's worth").isFalse();
        now.addAndGet(MS);
        assertThat(tries(budget, 100)).as("100 ms at 10/s").isEqualTo(1);
        now.addAndGet(350 * MS);
        assertThat(tries(budget, 100)).as("350 ms more").isEqualTo(3);
    }

    @Test
    void aLongIdleTimeRefillsNoMoreThanOneSecond() {
        StepTraceBudget budget = StepTraceBudget.perSecond(10, now::get);
        tries(budget, 100);

        now.addAndGet(3_600_000 * MS);
        assertThat(tries(budget, 100)).isEqualTo(10);
    }

    @Test
    void aFractionalRateTracesOneStepPerPeriod() {
        StepTraceBudget budget = StepTraceBudget.perSecond(0.5, now::get);
        assertThat(tries(budget, 10)).isEqualTo(1);

        now.addAndGet(1_999 * MS);
        assertThat(tries(budget, 10)).isZero();
        now.addAndGet(MS);
        assertThat(tries(budget, 10)).isEqualTo(1);
    }

    @Test
    void zeroNeverTraces() {
        StepTraceBudget budget = StepTraceBudget.perSecond(0, now::get);
        assertThat(tries(budget, 100)).isZero();
        now.addAndGet(10_000 * MS);
        assertThat(tries(budget, 100)).isZero();
    }

    @Test
    void unlimitedTracesEveryStep() {
        StepTraceBudget budget = StepTraceBudget.perSecond(StepTraceBudget.UNLIMITED, now::get);
        assertThat(budget).isSameAs(StepTraceBudget.unlimited());
        assertThat(tries(budget, 10_000)).isEqualTo(10_000);
    }

    @Test
    void refusesARateThatIsNoneOfTheAllowedOnesNamingIt() {
        for (double bad : new double[] {-2, -0.5, Double.NaN, Double.POSITIVE_INFINITY, 2_000_000}) {
            assertThatThrownBy(() -> StepTraceBudget.perSecond(bad, now::get)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("traced steps per second must be -1 (no limit), 0 (never trace a step)")
                    .hasMessageEndingWith("got " + bad);
        }
    }

    private static int tries(StepTraceBudget budget, int steps) {
        int traced = 0;
        for (int i = 0; i < steps; i++) {
            if (budget.tryTrace()) {
                traced++;
            }
        }
        return traced;
    }
}
