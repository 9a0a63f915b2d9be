package io.moemesh.router.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.router.batching.SchedulerHealth;
import io.moemesh.service.ProgressWatchdog;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DiscoveryReadinessTest {

    private static final SchedulerHealth OK = new SchedulerHealth(true, false, "ok");
    private static final SchedulerHealth DEAD = new SchedulerHealth(false, true, "loop died");

    @Test
    void aRouterIsNotServingUntilItsFirstDiscoveryThenFollowsItsScheduler() {
        DiscoveryReadiness readiness = new DiscoveryReadiness();
        List<Boolean> switched = new CopyOnWriteArrayList<>();
        AtomicInteger fatal = new AtomicInteger();
        ProgressWatchdog watchdog = new ProgressWatchdog("router", () -> readiness.gate(OK), switched::add,
                fatal::incrementAndGet);

        watchdog.check();
        watchdog.check();
        readiness.discovered();
        watchdog.check();

        assertThat(switched).containsExactly(false, true);
        assertThat(fatal).hasValue(0);
    }

    @Test
    void waitingForDiscoveryNamesTheWaitAndADeadSchedulerStaysFatal() {
        DiscoveryReadiness readiness = new DiscoveryReadiness();

        SchedulerHealth waiting = readiness.gate(OK);

        assertThat(waiting.serving()).isFalse();
        assertThat(waiting.fatal()).isFalse();
        assertThat(waiting.reason()).contains("first expert discovery");
        assertThat(readiness.gate(DEAD)).isEqualTo(DEAD);
    }

    @Test
    void aRouterWithNothingToDiscoverIsReadyAtOnce() {
        assertThat(DiscoveryReadiness.ready().gate(OK)).isEqualTo(OK);
    }
}
