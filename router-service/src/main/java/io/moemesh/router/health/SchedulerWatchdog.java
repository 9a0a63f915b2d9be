package io.moemesh.router.health;

import io.moemesh.router.batching.SchedulerHealth;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the router's gRPC health tell the truth about its batch scheduler: every period it asks
 * whether the scheduler makes progress, turns health NOT_SERVING while it does not (a stalled step,
 * a dead loop) and SERVING again when steps finish again, so Kubernetes stops sending traffic and,
 * through the liveness probe, restarts a router that stays stuck. A dead loop cannot come back: the
 * watchdog then calls {@code onFatal} once (the router exits, for its supervisor to restart it). A
 * check that throws is logged and counts as not serving; the watchdog's own thread never dies of it.
 */
public final class SchedulerWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchedulerWatchdog.class);

    /** The service's health, as the gRPC health service reports it. */
    public interface HealthSwitch {
        void serving(boolean serving);
    }

    private final Supplier<SchedulerHealth> probe;
    private final HealthSwitch health;
    private final Runnable onFatal;
    private ScheduledExecutorService thread;
    private boolean serving = true; // what health says now; checks run one at a time
    private boolean fatalHandled;

    public SchedulerWatchdog(Supplier<SchedulerHealth> probe, HealthSwitch health, Runnable onFatal) {
        this.probe = probe;
        this.health = health;
        this.onFatal = onFatal;
    }

    /**
     * Checks at once and then every {@code period} on a thread of its own: the first check runs before
     * the server opens its port in practice, so a probe that fails from the start (the router's first
     * expert discovery, {@link DiscoveryReadiness}) makes the server start NOT_SERVING.
     */
    public synchronized SchedulerWatchdog start(Duration period) {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .name("router-scheduler-watchdog").daemon().unstarted(r));
            thread.scheduleWithFixedDelay(this::check, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** One check: health follows the scheduler's state, and a dead loop is handled once. */
    public synchronized void check() {
        SchedulerHealth now;
        try {
            now = probe.get();
        } catch (RuntimeException e) {
            now = new SchedulerHealth(false, false, "the scheduler's health could not be read: " + e);
        }
        try {
            if (now.serving() != serving) {
                if (now.serving()) {
                    LOG.info("router health SERVING: the batch scheduler makes progress and expert discovery has run");
                } else {
                    LOG.error("router health NOT_SERVING: {}", now.reason());
                }
                health.serving(now.serving());
                serving = now.serving();
            }
            if (now.fatal() && !fatalHandled) {
                fatalHandled = true;
                onFatal.run();
            }
        } catch (RuntimeException e) {
            LOG.error("the scheduler watchdog could not apply {}; it checks again next period", now, e);
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
