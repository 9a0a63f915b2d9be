package io.moemesh.placement.round;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.local.LocalReport;
import java.time.Instant;

/**
 * What one planning round saw and decided. Scores are on the round's statistics; any of the
 * optional parts is null when the round stopped before it (no router answered, no traffic yet).
 *
 * @param observed    the routers' real traffic since the previous round
 * @param replacement what an applied round changed, null for every other round
 * @param local       local mode's pruning and replica step, null when it did not run
 */
public record PlacementReport(Instant at, String decision, boolean applied, RoutingStats stats,
        LivePlacement live, PlanScore liveScore, PlacementPlan candidate, PlanScore candidateScore,
        PlanScore baselineScore, Traffic observed, Replacement replacement, LocalReport local) {

    public PlacementReport(Instant at, String decision, boolean applied, RoutingStats stats, LivePlacement live,
            PlanScore liveScore, PlacementPlan candidate, PlanScore candidateScore, PlanScore baselineScore,
            Traffic observed, Replacement replacement) {
        this(at, decision, applied, stats, live, liveScore, candidate, candidateScore, baselineScore, observed,
                replacement, null);
    }

    /** This report with {@code note} (what the round could not read) before its decision; itself when blank. */
    public PlacementReport noted(String note) {
        return note.isEmpty() ? this : new PlacementReport(at, note + decision, applied, stats, live, liveScore,
                candidate, candidateScore, baselineScore, observed, replacement, local);
    }

    /** This report with the local step's outcome. */
    public PlacementReport withLocal(LocalReport step) {
        return new PlacementReport(at, decision, applied, stats, live, liveScore, candidate, candidateScore,
                baselineScore, observed, replacement, step);
    }

    /**
     * The units every service hosted before an applied re-placement and the units it hosts (local
     * mode) or is asked to host (Kubernetes mode, where the Deployments roll afterwards) after it.
     */
    public record Replacement(PlacementPlan before, PlacementPlan after) {
    }

    /** A round that applied nothing. */
    public PlacementReport(Instant at, String decision, boolean applied, RoutingStats stats, LivePlacement live,
            PlanScore liveScore, PlacementPlan candidate, PlanScore candidateScore, PlanScore baselineScore,
            Traffic observed) {
        this(at, decision, applied, stats, live, liveScore, candidate, candidateScore, baselineScore, observed, null);
    }

    public static PlacementReport failed(Instant at, String decision) {
        return stopped(at, decision, Traffic.NONE);
    }

    /** A round that did not run (this controller replica stands by). */
    public static PlacementReport skipped(Instant at, String decision) {
        return stopped(at, decision, Traffic.NONE);
    }

    static PlacementReport stopped(Instant at, String decision, Traffic observed) {
        return new PlacementReport(at, decision, false, null, null, null, null, null, null, observed);
    }
}
