package io.moemesh.placement.health;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the controller's gRPC health tell the truth about its planning loop: every period it asks
 * whether the loop makes progress ({@link LoopProgress}), turns health NOT_SERVING while it does not
 * and SERVING again once it does, so that the chart's readiness probe takes the controller out of
 * its Service and its liveness probe restarts a controller that stays stuck. A check that throws is
 * logged and counts as not serving; the watchdog's own thread never dies of it. Transitions are
 * logged once each, with the reason.
 */
public final class PlacementWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementWatchdog.class);

    /** The service's health, as the gRPC health service reports it. */
    public interface HealthSwitch {
        void serving(boolean serving);
    }

    private final Supplier<LoopHealth> probe;
    private final HealthSwitch health;
    private ScheduledExecutorService thread;
    private boolean serving = true; // what health says now; checks run one at a time

    public PlacementWatchdog(Supplier<LoopHealth> probe, HealthSwitch health) {
        this.probe = probe;
        this.health = health;
    }

    /**
     * How long the loop may go without progress before it counts as stuck: {@code max(initialDelay,
     * interval) + rolloutTimeout}. The first term is the longest the loop legitimately sleeps between
     * two rounds. The second is slack for one round between two signals: outside a rollout wait (whose
     * every read signals progress) a round is a series of calls that each have a deadline
     * ({@code call-timeout}, {@code refresh-timeout}, the Kubernetes API call timeout), and the rollout
     * timeout is the longest single wait the operator already accepts from a round.
     */
    public static Duration stallLimit(Duration initialDelay, Duration interval, Duration rolloutTimeout) {
        return (initialDelay.compareTo(interval) > 0 ? initialDelay : interval).plus(rolloutTimeout);
    }

    /**
     * Checks at once and then every {@code period} on a daemon thread of its own; the first check runs
     * before the server opens its port in practice.
     */
    public synchronized PlacementWatchdog start(Duration period) {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .name("placement-loop-watchdog").daemon().unstarted(r));
            thread.scheduleWithFixedDelay(this::checkSafely, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** A scheduled check: an escaping throwable (an Error) would cancel every later check and freeze health. */
    private void checkSafely() {
        try {
            check();
        } catch (Throwable e) {
            LOG.error("a placement watchdog check failed; it checks again next period", e);
        }
    }

    /** One check: health follows the loop's progress. */
    public synchronized void check() {
        LoopHealth now;
        try {
            now = probe.get();
        } catch (RuntimeException e) {
            now = LoopHealth.stalled("the placement loop's progress could not be read: " + e);
        }
        if (now.serving() == serving) {
            return;
        }
        try {
            health.serving(now.serving());
            serving = now.serving();
            if (now.serving()) {
                LOG.info("placement controller health SERVING: the planning loop makes progress again");
            } else {
                LOG.error("placement controller health NOT_SERVING: {}", now.reason());
            }
        } catch (RuntimeException e) {
            LOG.error("the placement watchdog could not apply {}; it checks again next period", now, e);
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
