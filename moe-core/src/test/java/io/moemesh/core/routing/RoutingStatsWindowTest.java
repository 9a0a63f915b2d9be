package io.moemesh.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.gate.GateDecision;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RoutingStatsWindowTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-28T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final RoutingStatsWindow window = new RoutingStatsWindow(2, 4, Duration.ofSeconds(60), 6, clock);

    private static GateDecision route(int a, int b) {
        return new GateDecision(new int[] {a, b}, new float[] {0.6f, 0.4f});
    }

    @Test
    void countsTokensExpertsAndSymmetricPairsPerLayer() {
        window.record(0, route(1, 3));
        window.record(0, route(3, 1));
        window.record(0, route(0, 1));
        window.record(1, route(2, 0));

        RoutingStats s = window.snapshot();

        assertThat(s.tokens()).containsExactly(3, 1);
        assertThat(s.expertTokens()[0]).containsExactly(1, 3, 0, 2);
        assertThat(s.coactivation(0, 1, 3)).isEqualTo(2);
        assertThat(s.coactivation(0, 3, 1)).isEqualTo(2);
        assertThat(s.coactivation(0, 0, 1)).isEqualTo(1);
        assertThat(s.coactivation(0, 1, 1)).isZero();
        assertThat(s.coactivation(1, 0, 2)).isEqualTo(1);
        assertThat(s.load(0, 1)).isEqualTo(0.5);
    }

    @Test
    void forgetsTokensOnceTheyLeaveTheWindow() {
        window.record(0, route(1, 2));
        clock.advance(Duration.ofSeconds(30));
        window.record(0, route(2, 3));

        assertThat(window.snapshot().tokens()[0]).isEqualTo(2);

        clock.advance(Duration.ofSeconds(35)); // the first token is now 65 s old
        assertThat(window.snapshot().tokens()[0]).isEqualTo(1);
        assertThat(window.snapshot().coactivation(0, 1, 2)).isZero();

        clock.advance(Duration.ofSeconds(60));
        assertThat(window.snapshot().tokens()[0]).isZero();
    }

    @Test
    void reusesBucketsWithoutCarryingOldCounts() {
        window.record(1, route(0, 1));
        clock.advance(Duration.ofSeconds(60)); // same ring slot, next lap
        window.record(1, route(2, 3));

        RoutingStats s = window.snapshot();

        assertThat(s.tokens()[1]).isEqualTo(1);
        assertThat(s.coactivation(1, 0, 1)).isZero();
        assertThat(s.coactivation(1, 2, 3)).isEqualTo(1);
    }
}
