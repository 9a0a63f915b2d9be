package io.moemesh.placement.health;

import io.moemesh.service.ProgressWatchdog;

/**
 * Whether the planning loop makes progress, and what a person reading the log would want to know
 * about it.
 */
public record LoopHealth(boolean serving, String reason) implements ProgressWatchdog.Health {

    static final LoopHealth OK = new LoopHealth(true, "the planning loop makes progress");

    static LoopHealth stalled(String reason) {
        return new LoopHealth(false, reason);
    }
}
