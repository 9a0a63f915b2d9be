package io.moemesh.placement.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.FakeMesh;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.MeshState;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.PlanApplier;
import io.moemesh.service.ProgressWatchdog;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Health follows the planning loop's progress: a stuck round turns it NOT_SERVING, slow or failing ones do not. */
class PlacementWatchdogTest {

    private static final Duration INTERVAL = Duration.ofSeconds(30);
    private static final Duration LIMIT = LoopProgress.stallLimit(Duration.ZERO, INTERVAL,
            Duration.ofMinutes(10));

    private final ManualClock clock = new ManualClock();
    private final LoopProgress progress = new LoopProgress(clock);
    /** Every value the watchdog set health to, in order. */
    private final List<Boolean> health = new CopyOnWriteArrayList<>();
    private final ProgressWatchdog watchdog = new ProgressWatchdog("placement controller", () -> progress.health(LIMIT), health::add);

    /** Applies nothing; its rounds run {@code body} first, where a real round reads and writes. */
    private static PlanApplier applier(Runnable body) {
        return new PlanApplier() {
            @Override
            public void prepare(boolean dryRun) {
                body.run();
            }

            @Override
            public boolean plansFromSomeRouters() {
                return true;
            }

            @Override
            public String preview(PlacementPlan candidate) {
                return "";
            }

            @Override
            public Applied apply(PlacementPlan candidate, MeshState mesh, RoutingStats stats, LivePlacement live,
                    String change) {
                return Applied.not(Outcome.KEPT, "nothing", live);
            }
        };
    }

    private PlacementLoop loop(Leadership leadership, Runnable roundBody) {
        FakeMesh mesh = new FakeMesh(2, 4, 1);
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});
        PlacementRound round = new PlacementRound(List.of(mesh), mesh,
                new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), clock, applier(roundBody));
        return new PlacementLoop(round, leadership, Duration.ZERO, INTERVAL, progress);
    }

    @Test
    void aHangingRoundTurnsHealthNotServingAfterTheStallLimitAndServingOnceItReturns() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PlacementLoop loop = loop(Leadership.always("controller-a"), () -> {
            entered.countDown();
            try {
                release.await(); // a Kubernetes or gRPC call that does not return
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.start();
        try {
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            clock.advance(LIMIT);
            watchdog.check();
            assertThat(health).as("at the limit: not yet").isEmpty();

            clock.advance(Duration.ofSeconds(1));
            watchdog.check();
            assertThat(health).containsExactly(false);

            release.countDown();
            // the round's end is signalled after its report is recorded: check until the watchdog sees it
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                watchdog.check();
                return health.size() == 2;
            });
            assertThat(health).containsExactly(false, true);
        } finally {
            release.countDown();
            loop.stop();
        }
    }

    @Test
    void aRoundThatThrowsAfterALongTimeIsProgress() {
        PlacementLoop loop = loop(Leadership.always("controller-a"), () -> {
            clock.advance(LIMIT.plusMinutes(1));
            throw new IllegalStateException("Kubernetes API: cannot list expert Deployments: HTTP 500");
        });

        loop.runOnce();
        watchdog.check();

        assertThat(loop.state().latest().outcome()).isEqualTo(Outcome.FAILED);
        assertThat(health).as("the round ended, if badly: the loop goes on").isEmpty();
    }

    @Test
    void aStandbyKeepsServingThroughManyRounds() {
        Leadership standby = new Leadership() {
            @Override
            public boolean isLeader() {
                return false;
            }

            @Override
            public Optional<String> leader() {
                return Optional.of("controller-b");
            }
        };
        AtomicBoolean ran = new AtomicBoolean();
        PlacementLoop loop = loop(standby, () -> ran.set(true));

        for (int i = 0; i < 3 * LIMIT.dividedBy(INTERVAL); i++) {
            clock.advance(INTERVAL);
            loop.runOnce();
            watchdog.check();
        }

        assertThat(ran).as("a standby runs no round").isFalse();
        assertThat(loop.state().latest().outcome()).isEqualTo(Outcome.STANDBY);
        assertThat(health).isEmpty();
    }

    @Test
    void aLoopWhoseThreadIsGoneStallsAfterTheLimit() {
        PlacementLoop loop = loop(Leadership.always("controller-a"), () -> { });
        loop.runOnce();
        loop.stop(); // no thread runs rounds any more: nothing signals progress

        clock.advance(LIMIT.plusSeconds(1));
        watchdog.check();

        assertThat(health).containsExactly(false);
        assertThat(progress.health(LIMIT).reason()).contains("no progress for 631 s", "stall limit 630 s");
    }

    /** NTP stepping the wall clock an hour either way neither trips a healthy loop nor hides a stuck one. */
    @Test
    void progressIsMeasuredOnTheMonotonicClockNotTheWallClock() {
        ManualClock wall = new ManualClock();
        ManualClock monotonic = new ManualClock();
        LoopProgress measured = new LoopProgress(wall, () -> monotonic.millis() * 1_000_000L);

        wall.advance(Duration.ofHours(1));
        assertThat(measured.health(LIMIT).serving()).as("the wall clock jumped, no time passed").isTrue();

        monotonic.advance(LIMIT.plusSeconds(1));
        assertThat(measured.sinceProgress()).isEqualTo(LIMIT.plusSeconds(1));
        assertThat(measured.health(LIMIT).serving()).isFalse();
    }

    @Test
    void aCheckThatThrowsCountsAsNotServingAndTheWatchdogGoesOn() {
        AtomicBoolean broken = new AtomicBoolean(true);
        ProgressWatchdog checked = new ProgressWatchdog("placement controller", () -> {
            if (broken.get()) {
                throw new IllegalStateException("progress unreadable");
            }
            return progress.health(LIMIT);
        }, health::add);

        checked.check();
        checked.check();
        broken.set(false);
        checked.check();

        assertThat(health).as("each transition applied once").containsExactly(false, true);
    }

    @Test
    void aHealthSwitchThatThrowsIsTriedAgainNextCheck() {
        List<Boolean> applied = new CopyOnWriteArrayList<>();
        AtomicBoolean failing = new AtomicBoolean(true);
        ProgressWatchdog checked = new ProgressWatchdog("placement controller", () -> progress.health(LIMIT), serving -> {
            if (failing.get()) {
                throw new IllegalStateException("health service gone");
            }
            applied.add(serving);
        });
        clock.advance(LIMIT.plusSeconds(1));

        checked.check();
        failing.set(false);
        checked.check();

        assertThat(applied).containsExactly(false);
    }

    @Test
    void theStallLimitIsTheLongerSleepBetweenRoundsPlusTheRolloutTimeout() {
        Duration rollout = Duration.ofMinutes(10);

        assertThat(LoopProgress.stallLimit(Duration.ofSeconds(30), Duration.ofSeconds(30), rollout))
                .isEqualTo(Duration.ofSeconds(630));
        assertThat(LoopProgress.stallLimit(Duration.ofMinutes(5), Duration.ofSeconds(30), rollout))
                .isEqualTo(Duration.ofMinutes(15));
        assertThat(LoopProgress.stallLimit(Duration.ZERO, Duration.ofMinutes(2), rollout))
                .isEqualTo(Duration.ofMinutes(12));
    }

    @Test
    void theWatchdogChecksOnItsOwnThread() {
        try (ProgressWatchdog started = new ProgressWatchdog("placement controller", () -> progress.health(LIMIT), health::add)
                .start(Duration.ofMillis(10))) {
            clock.advance(LIMIT.plusSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> health.contains(false));
            progress.progressed();
            await().atMost(Duration.ofSeconds(10)).until(() -> health.contains(true));
        }
        assertThat(health).containsExactly(false, true);
    }

    /** An Error out of a scheduled task would cancel every later run and freeze health at SERVING. */
    @Test
    void anErrorInOneScheduledCheckDoesNotStopTheChecks() {
        AtomicBoolean throwError = new AtomicBoolean(true);
        try (ProgressWatchdog started = new ProgressWatchdog("placement controller", () -> {
            if (throwError.getAndSet(false)) {
                throw new StackOverflowError("one bad check");
            }
            return progress.health(LIMIT);
        }, health::add).start(Duration.ofMillis(10))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !throwError.get());
            clock.advance(LIMIT.plusSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> health.contains(false));
        }
    }
}
