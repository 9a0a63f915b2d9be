package io.moemesh.placement.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When the planning loop last made progress. The loop signals it when it starts, when a round starts
 * and when a round ends (whatever the round decided, failed rounds and standby rounds included), and
 * a round signals it at every step of a long wait (each read of a rolling expert Deployment), so
 * that a round that waits for rollouts is not mistaken for a stuck one. Nothing else counts: a round
 * blocked in a call that never returns, or a loop whose thread is gone, stops signalling.
 * Thread-safe; time comes from the clock, so tests move a clock instead of sleeping.
 */
public final class LoopProgress {

    private final Clock clock;
    private volatile Instant last;

    /** Counts from now: a loop that has not run its first round yet is not stalled. */
    public LoopProgress(Clock clock) {
        this.clock = clock;
        this.last = clock.instant();
    }

    public Clock clock() {
        return clock;
    }

    /** The loop, or a step of its round, moved on. */
    public void progressed() {
        last = clock.instant();
    }

    /** Time since the last progress (never negative, should the clock step back). */
    public Duration sinceProgress() {
        Duration quiet = Duration.between(last, clock.instant());
        return quiet.isNegative() ? Duration.ZERO : quiet;
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
