package io.moemesh.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.gateway.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogBudgetTest {

    private final FakeTicker ticker = new FakeTicker();
    private final LogBudget budget = new LogBudget(2, Duration.ofMinutes(1), ticker);

    @Test
    void leavesOutLinesBeyondTheBudgetAndCountsThemInTheNextInterval() {
        assertThat(budget.tryLog()).isZero();
        assertThat(budget.tryLog()).isZero();
        assertThat(budget.tryLog()).isEqualTo(-1);
        assertThat(budget.tryLog()).isEqualTo(-1);

        ticker.advance(Duration.ofMinutes(1));

        assertThat(budget.tryLog()).isEqualTo(2);
        assertThat(budget.tryLog()).isZero();
    }
}
