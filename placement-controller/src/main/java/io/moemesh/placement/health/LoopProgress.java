package io.moemesh.placement.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * When the planning loop last made progress. The loop signals it when it starts, when a round starts
 * and when a round ends (whatever the round decided, failed rounds and standby rounds included), and
 * a round signals it at every step of a long wait (each read of a rolling expert Deployment), so
 * that a round that waits for rollouts is not mistaken for a stuck one. Nothing else counts: a round
 * blocked in a call that never returns, or a loop whose thread is gone, stops signalling.
 * Thread-safe. Quiet time is measured on a monotonic clock ({@code System.nanoTime} in production), so
 * a wall-clock step (NTP) neither restarts a healthy controller nor hides a stuck one; the loop's
 * reports keep the wall clock ({@link #clock()}). Tests move a clock instead of sleeping.
 */
public final class LoopProgress {

    private final Clock clock;
    private final LongSupplier nanoTime;
    private volatile long last;

    /**
     * Counts from now: a loop that has not run its first round yet is not stalled.
     *
     * @param clock    the loop's wall clock, for its reports
     * @param nanoTime the monotonic time progress is measured on
     */
    public LoopProgress(Clock clock, LongSupplier nanoTime) {
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.last = nanoTime.getAsLong();
    }

    /** Measures on {@code clock} too: for tests, whose clock only moves when they move it. */
    public LoopProgress(Clock clock) {
        this(clock, () -> nanosOf(clock.instant()));
    }

    private static long nanosOf(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    public Clock clock() {
        return clock;
    }

    /** The loop, or a step of its round, moved on. */
    public void progressed() {
        last = nanoTime.getAsLong();
    }

    /** Time since the last progress (never negative). */
    public Duration sinceProgress() {
        return Duration.ofNanos(Math.max(0, nanoTime.getAsLong() - last));
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

    /** Serving unless no progress for longer than {@code stallLimit}. */
    public LoopHealth health(Duration stallLimit) {
        Duration quiet = sinceProgress();
        if (quiet.compareTo(stallLimit) > 0) {
            return LoopHealth.stalled("the placement loop made no progress for " + quiet.toSeconds() + " s (stall"
                    + " limit " + stallLimit.toSeconds() + " s = max(initial-delay, interval) + rollout-timeout):"
                    + " a round is stuck in a call that does not return, or the loop's thread is gone");
        }
        return LoopHealth.OK;
    }
}
