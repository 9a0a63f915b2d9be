package io.moemesh.service;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a service's gRPC health tell the truth about its work loop (the router's batch scheduler,
 * the placement controller's planning loop): every period it asks the loop's {@link Health}, turns
 * health NOT_SERVING while the loop makes no progress and SERVING again once it does, so that
 * Kubernetes stops sending traffic and, through the liveness probe, restarts a service that stays
 * stuck. A loop that cannot come back ({@link Health#fatal()}) gets {@code onFatal} once.
 * Transitions are logged once each, with the reason.
 *
 * <p>One failed check changes nothing but the log: a probe that throws counts as not serving, a
 * health switch or {@code onFatal} that throws is tried again next period, and the scheduled thread
 * catches everything, an {@link Error} included, since a scheduled task that throws is never run
 * again and health would freeze at its last value.
 */
public final class ProgressWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressWatchdog.class);

    /** What a loop says of itself: whether it makes progress, whether it can never again, and why. */
    public interface Health {
        boolean serving();

        /** A loop that cannot come back (it died); the service should exit. */
        default boolean fatal() {
            return false;
        }

        String reason();
    }

    /** The service's health, as the gRPC health service reports it. */
    public interface HealthSwitch {
        void serving(boolean serving);
    }

    private record Unreadable(String reason) implements Health {
        @Override
        public boolean serving() {
            return false;
        }
    }

    private final String service;
    private final Supplier<? extends Health> probe;
    private final HealthSwitch health;
    private final Runnable onFatal;
    private ScheduledExecutorService thread;
    private boolean serving = true; // what health says now; checks run one at a time
    private boolean fatalHandled;

    /** @param service names the service in the log and the watchdog's thread ("router") */
    public ProgressWatchdog(String service, Supplier<? extends Health> probe, HealthSwitch health, Runnable onFatal) {
        this.service = service;
        this.probe = probe;
        this.health = health;
        this.onFatal = onFatal;
    }

    /** For a loop that is never fatal. */
    public ProgressWatchdog(String service, Supplier<? extends Health> probe, HealthSwitch health) {
        this(service, probe, health, () -> { });
    }

    /**
     * Checks at once and then every {@code period} on a daemon thread of its own: the first check runs
     * before the server opens its port in practice, so a loop that is not ready from the start (the
     * router's first expert discovery) makes the server start NOT_SERVING.
     */
    public synchronized ProgressWatchdog start(Duration period) {
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .name(service.replace(' ', '-') + "-watchdog").daemon().unstarted(r));
            thread.scheduleWithFixedDelay(this::checkSafely, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void checkSafely() {
        try {
            check();
        } catch (Throwable e) {
            LOG.error("a {} watchdog check failed; it checks again next period", service, e);
        }
    }

    /** One check: health follows the loop, and a fatal loop is handled once. */
    public synchronized void check() {
        Health now;
        try {
            now = probe.get();
        } catch (RuntimeException e) {
            now = new Unreadable("the loop's health could not be read: " + e);
        }
        try {
            if (now.serving() != serving) {
                if (now.serving()) {
                    LOG.info("{} health SERVING: {}", service, now.reason());
                } else {
                    LOG.error("{} health NOT_SERVING: {}", service, now.reason());
                }
                health.serving(now.serving());
                serving = now.serving();
            }
            if (now.fatal() && !fatalHandled) {
                fatalHandled = true;
                onFatal.run();
            }
        } catch (RuntimeException e) {
            LOG.error("the {} watchdog could not apply {}; it checks again next period", service, now, e);
        }
    }

    @Override
    public synchronized void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
