package io.moemesh.router.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.router.batching.SchedulerHealth;
import io.moemesh.service.ProgressWatchdog;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SchedulerWatchdogTest {

    private static final SchedulerHealth OK = new SchedulerHealth(true, false, "ok");
    private static final SchedulerHealth STALLED = new SchedulerHealth(false, false, "no step for 31 s");
    private static final SchedulerHealth DEAD = new SchedulerHealth(false, true, "loop died: OutOfMemoryError");

    private final List<Boolean> switched = new CopyOnWriteArrayList<>();
    private final AtomicInteger fatal = new AtomicInteger();

    private ProgressWatchdog watchdog(Supplier<SchedulerHealth> probe) {
        return new ProgressWatchdog("router", probe, switched::add, fatal::incrementAndGet);
    }

    private static Supplier<SchedulerHealth> sequence(SchedulerHealth... states) {
        Queue<SchedulerHealth> queue = new ArrayDeque<>(List.of(states));
        return queue::remove;
    }

    @Test
    void healthFollowsAStallAndItsRecoveryWithoutExiting() {
        ProgressWatchdog w = watchdog(sequence(OK, STALLED, STALLED, OK));
        for (int i = 0; i < 4; i++) {
            w.check();
        }

        assertThat(switched).containsExactly(false, true);
        assertThat(fatal).hasValue(0);
    }

    @Test
    void aDeadLoopTurnsHealthOffAndIsHandledOnce() {
        ProgressWatchdog w = watchdog(sequence(OK, DEAD, DEAD, DEAD));
        for (int i = 0; i < 4; i++) {
            w.check();
        }

        assertThat(switched).containsExactly(false);
        assertThat(fatal).hasValue(1);
    }

    @Test
    void aProbeThatThrowsCountsAsNotServingAndTheNextCheckStillRuns() {
        AtomicInteger calls = new AtomicInteger();
        ProgressWatchdog w = watchdog(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("scheduler state unreadable");
            }
            return OK;
        });
        w.check();
        w.check();

        assertThat(switched).containsExactly(false, true);
    }
}
