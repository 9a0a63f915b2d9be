package io.moemesh.placement.dashboard;

import static io.moemesh.placement.dashboard.FakeRouter.window;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/** The feed's health: DOWN with the reason once no poll has completed for too long, UP again after one. */
class DashboardHealthTest {

    private static final DashboardProperties PROPERTIES = new DashboardProperties(true, Duration.ofMillis(50),
            Duration.ofSeconds(5), 150, 5);
    private static final PlacementLoop.State NO_ROUND = new PlacementLoop.State(null, 0, null, null);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T04:00:00Z"));

    @Test
    void downWhileAPollIsStuckAndUpOnceItCompletes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger readCount = new AtomicInteger();
        FakeRouter stuck = new FakeRouter("router-a", window(new long[] {1, 1})) {
            @Override
            public RouterPort.Reading read() {
                if (readCount.incrementAndGet() == 2) {
                    block(release);
                }
                return super.read();
            }
        };
        DashboardFeed feed = new DashboardFeed(List.of(stuck), () -> NO_ROUND, PROPERTIES, clock);
        DashboardHealth health = new DashboardHealth(feed, PROPERTIES, clock);
        feed.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> readCount.get() == 2); // the second poll hangs
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            clock.advance(Duration.ofSeconds(5).plusMillis(5 * 50 + 1)); // a read's deadline + 5 periods

            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.health().getDetails().get("reason").toString())
                    .contains("no dashboard poll completed for 5 s", "the feed's thread is stuck or stopped");

            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> health.health().getStatus().equals(Status.UP));
        } finally {
            release.countDown();
            feed.stop();
        }
    }

    @Test
    void aPollThatThrowsKeepsThePreviousViewAndTheLoopGoesOn() {
        AtomicInteger calls = new AtomicInteger();
        Supplier<PlacementLoop.State> placement = () -> {
            if (calls.incrementAndGet() > 1) {
                throw new IllegalStateException("placement state unreadable");
            }
            return NO_ROUND;
        };
        FakeRouter router = new FakeRouter("router-a", window(new long[] {3, 1}));
        DashboardFeed feed = new DashboardFeed(List.of(router), placement, PROPERTIES, clock);
        DashboardHealth health = new DashboardHealth(feed, PROPERTIES, clock);
        feed.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 4); // polls go on after throwing
            long updated = feed.view().updated();
            assertThat(feed.view().state()).isEqualTo("live");
            assertThat(feed.view().layers().getFirst().experts()).containsExactly(3, 1);

            clock.advance(Duration.ofSeconds(6));

            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.health().getDetails().get("reason").toString())
                    .contains("the last poll threw java.lang.IllegalStateException: placement state unreadable");
            assertThat(feed.view().updated()).isEqualTo(updated);
        } finally {
            feed.stop();
        }
    }

    private static void block(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
