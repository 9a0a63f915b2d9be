package io.moemesh.expert.grpc;

import io.moemesh.service.GrpcServerLifecycle;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Keeps an expert serving at shutdown until the routers have switched away from it. Stopping the
 * gRPC server refuses new calls at once, but a router learns that an expert pod is going only when
 * its EndpointSlice watch says so; a Compute call arriving in between would fail, and a
 * single-replica expert would answer {@code degraded} through every rollout. So on SIGTERM this
 * stops first (it depends on the server, and Spring stops dependents before what they depend on):
 * health turns NOT_SERVING (readiness fails, the EndpointSlices drop the pod), Compute calls are
 * still answered, and it returns once no Compute call arrived for {@code quietPeriod} (counted
 * from the later of the last call and the start of the drain) or after {@code maxWait}; only then
 * does the server's own drain begin. The pod's {@code terminationGracePeriodSeconds} must exceed
 * the preStop sleep, {@code maxWait} and the server's drain timeout together (the chart checks it).
 *
 * <p>{@link CallActivity}, an interceptor on the server, says when Compute was last called. Time
 * comes in through {@code nanoTime} and the sleeper, so tests move a clock instead of sleeping.
 */
public final class ShutdownDrain implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownDrain.class);

    /** Pauses the draining thread. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration pause) throws InterruptedException;
    }

    /**
     * @param quietPeriod no counted call for this long means the routers have switched away
     * @param maxWait     the drain ends after this long even while calls still arrive; 0 turns it off
     */
    public record Settings(Duration quietPeriod, Duration maxWait) {
        public Settings {
            if (quietPeriod.isNegative() || maxWait.isNegative()) {
                throw new IllegalArgumentException("moemesh.expert.shutdown-quiet-period and shutdown-max-wait must"
                        + " not be negative, got " + quietPeriod + " and " + maxWait);
            }
        }
    }

    private final GrpcServerLifecycle server;
    private final CallActivity activity;
    private final Settings settings;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private volatile boolean running;

    /** @param nanoTime the same time source as {@code activity}'s */
    public ShutdownDrain(GrpcServerLifecycle server, CallActivity activity, Settings settings, LongSupplier nanoTime,
            Sleeper sleeper) {
        this.server = server;
        this.activity = activity;
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        if (settings.maxWait().isZero()) {
            return;
        }
        server.serving(false);
        long start = nanoTime.getAsLong();
        long quiet = settings.quietPeriod().toNanos();
        long max = settings.maxWait().toNanos();
        LOG.info("draining: NOT_SERVING, still answering Compute until none arrives for {} (at most {})",
                settings.quietPeriod(), settings.maxWait());
        while (true) {
            long now = nanoTime.getAsLong();
            long last = activity.lastCall().orElse(start);
            long since = last - start > 0 ? last : start;
            long idle = now - since;
            long left = max - (now - start);
            if (idle >= quiet) {
                LOG.info("drained: no Compute call for {}", settings.quietPeriod());
                return;
            }
            if (left <= 0) {
                LOG.warn("drain ended after {} with Compute calls still arriving (last {} ms ago); stopping anyway",
                        settings.maxWait(), Duration.ofNanos(idle).toMillis());
                return;
            }
            try {
                sleeper.sleep(Duration.ofNanos(Math.min(quiet - idle, left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
