package io.moemesh.router.batching;

import io.moemesh.service.ProgressWatchdog;

/**
 * Whether the scheduler's loop makes progress: {@code serving} is false when the loop died, or when
 * work is waiting and no step has finished for longer than the stall timeout. {@code fatal} marks a
 * loop that cannot come back (the process should exit); {@code reason} says what a person would
 * want to read in the log.
 */
public record SchedulerHealth(boolean serving, boolean fatal, String reason) implements ProgressWatchdog.Health {

    static final SchedulerHealth OK = new SchedulerHealth(true, false, "the batch scheduler makes progress");

    static SchedulerHealth stalled(String reason) {
        return new SchedulerHealth(false, false, reason);
    }

    static SchedulerHealth dead(String reason) {
        return new SchedulerHealth(false, true, reason);
    }
}
