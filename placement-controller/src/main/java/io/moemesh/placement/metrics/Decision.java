package io.moemesh.placement.metrics;

import io.moemesh.placement.round.PlacementReport;
import java.util.Locale;

/**
 * The fixed set of round outcomes the {@code decision} tag takes, read from a round's report: its
 * decision text is free-form (it names services, gains, errors), the tag must not be.
 */
enum Decision {
    /** A plan was applied (in place, or written to the cluster). */
    APPLIED,
    /** The candidate did not clear the hysteresis threshold, or the cluster already asks for it. */
    KEPT,
    /** Too few tokens in the window to plan, or no expert endpoint to place yet. */
    WAITING,
    /** Dry run: a plan would have been applied. */
    DRY_RUN,
    /** This replica does not lead. */
    STANDBY,
    /** The routers could not be read or their statistics were refused, or applying failed. */
    FAILED;

    String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** By the decision's words, wherever they stand: a round that read only some routers prefixes a note. */
    static Decision of(PlacementReport report) {
        String d = report.decision();
        if (report.applied()) {
            return APPLIED;
        }
        if (d.startsWith("standby:")) {
            return STANDBY;
        }
        if (d.contains("dry run: would apply")) {
            return DRY_RUN;
        }
        if (d.contains("kept the live placement") || d.contains("the cluster already asks for this plan")) {
            return KEPT;
        }
        if (d.contains("waiting for traffic") || d.contains("nothing to place: ")) {
            return WAITING;
        }
        return FAILED;
    }
}
