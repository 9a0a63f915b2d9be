package io.moemesh.placement.kubernetes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Waits, bounded, until an expert Deployment's rollout is available, so that the controller rolls
 * one expert at a time: re-annotating many expert Deployments at once starts as many rollouts,
 * which on a full GPU pool leaves new pods Pending while old ones hold the GPUs, and takes several
 * experts' capacity down together. Time comes in through the clock and the sleeper, so tests move
 * a clock instead of sleeping.
 */
public final class RolloutGate {

    /** Pauses between two reads of the Deployment. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration pause) throws InterruptedException;
    }

    /**
     * @param timeout how long one Deployment may take to become available before the controller
     *                stops rolling others this round (a GPU pod's image pull and weight load
     *                included)
     * @param poll    pause between two reads of the Deployment
     */
    public record Settings(Duration timeout, Duration poll) {
        public Settings {
            if (!timeout.isPositive() || !poll.isPositive()) {
                throw new IllegalArgumentException("rollout timeout and poll must be > 0, got " + timeout + " and "
                        + poll);
            }
        }
    }

    public static final Settings DEFAULTS = new Settings(Duration.ofMinutes(10), Duration.ofSeconds(5));

    private final ClusterPort cluster;
    private final Settings settings;
    private final Clock clock;
    private final Sleeper sleeper;
    private final BooleanSupplier leading;

    public RolloutGate(ClusterPort cluster, Settings settings, Clock clock, Sleeper sleeper) {
        this(cluster, settings, clock, sleeper, () -> true);
    }

    private RolloutGate(ClusterPort cluster, Settings settings, Clock clock, Sleeper sleeper, BooleanSupplier leading) {
        this.cluster = cluster;
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
        this.leading = leading;
    }

    /**
     * This gate, giving up as soon as {@code leading} turns false: a round that waits for rollouts
     * can outlast this replica's lease, and a replica that no longer leads must write no more.
     */
    public RolloutGate whileLeading(BooleanSupplier leading) {
        return new RolloutGate(cluster, settings, clock, sleeper, leading);
    }

    /** Sleeps on the calling thread. */
    public static RolloutGate sleeping(ClusterPort cluster, Settings settings) {
        return new RolloutGate(cluster, settings, Clock.systemUTC(), pause -> Thread.sleep(pause));
    }

    public Settings settings() {
        return settings;
    }

    /** Empty once the Deployment is available; otherwise why it is not (failed, timed out, interrupted). */
    public Optional<String> await(String deployment) {
        Instant deadline = clock.instant().plus(settings.timeout());
        while (true) {
            if (!leading.getAsBoolean()) {
                return Optional.of("this controller replica no longer leads; waiting for " + deployment + " stopped");
            }
            Rollout r = cluster.rollout(deployment);
            switch (r.state()) {
                case AVAILABLE -> {
                    return Optional.empty();
                }
                case FAILED -> {
                    return Optional.of("rollout of " + deployment + " failed: " + r.detail());
                }
                case PROGRESSING -> {
                    if (!clock.instant().isBefore(deadline)) {
                        return Optional.of("rollout of " + deployment + " not available after " + settings.timeout()
                                + ": " + r.detail());
                    }
                }
            }
            try {
                sleeper.sleep(settings.poll());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of("interrupted while waiting for the rollout of " + deployment);
            }
        }
    }
}
