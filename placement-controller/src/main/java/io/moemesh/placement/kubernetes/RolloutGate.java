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
 * a clock instead of sleeping. Each read of the Deployment is reported as a step ({@link
 * #reportingSteps}), so that the loop's watchdog sees a long wait move on.
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
    private final Hooks hooks;

    /** Whether to go on waiting, and what to tell at each read of the Deployment. */
    private record Hooks(BooleanSupplier leading, Runnable step) {
    }

    public RolloutGate(ClusterPort cluster, Settings settings, Clock clock, Sleeper sleeper) {
        this(cluster, settings, clock, sleeper, new Hooks(() -> true, () -> { }));
    }

    private RolloutGate(ClusterPort cluster, Settings settings, Clock clock, Sleeper sleeper, Hooks hooks) {
        this.cluster = cluster;
        this.settings = settings;
        this.clock = clock;
        this.sleeper = sleeper;
        this.hooks = hooks;
    }

    /**
     * This gate, giving up as soon as {@code leading} turns false: a round that waits for rollouts
     * can outlast this replica's lease, and a replica that no longer leads must write no more.
     */
    public RolloutGate whileLeading(BooleanSupplier leading) {
        return new RolloutGate(cluster, settings, clock, sleeper, new Hooks(leading, hooks.step()));
    }

    /**
     * This gate, running {@code step} after every read of the Deployment it waits for (every poll):
     * the planning loop's progress, so that a paced rollout, which may wait up to the timeout for
     * each of several Deployments in one round, does not read as a stuck round.
     */
    public RolloutGate reportingSteps(Runnable step) {
        return new RolloutGate(cluster, settings, clock, sleeper, new Hooks(hooks.leading(), step));
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
            if (!hooks.leading().getAsBoolean()) {
                return Optional.of("this controller replica no longer leads; waiting for " + deployment + " stopped");
            }
            Rollout r = cluster.rollout(deployment);
            hooks.step().run();
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
