package io.moemesh.placement.round;

import java.util.Locale;

/**
 * What kind of decision a planning round made. The report's decision text says the rest (services,
 * gains, errors) for people; this is what code reads: the loop's logging, the metrics' tag, tests.
 */
public enum Outcome {
    /** A plan was applied (in place, or written to the cluster). */
    APPLIED,
    /**
     * The live placement stays: the candidate did not clear the hysteresis threshold, changes only
     * services with no running endpoint, or the cluster already asks for it.
     */
    KEPT,
    /** Too few tokens in the window to plan, no expert endpoint to place yet, or a rollout to finish first. */
    WAITING,
    /** Dry run: a plan would have been applied. */
    DRY_RUN,
    /** This controller replica does not lead, so it ran no round. */
    STANDBY,
    /** The routers could not be read or their statistics were refused, applying failed, or the round threw. */
    FAILED;

    /** The lower-case name, as a metric tag. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
