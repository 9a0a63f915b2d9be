package io.moemesh.placement.round;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.local.LocalReport;
import java.time.Instant;

/**
 * What one planning round saw and decided. Scores are on the round's statistics; any of the
 * optional parts is null when the round stopped before it (no router answered, no traffic yet).
 * Built with {@link #at} or one of the factories for rounds that stopped early.
 *
 * @param outcome     the kind of decision, for code
 * @param decision    what the round did and why, for people (status, dashboard, logs)
 * @param observed    the routers' real traffic since the previous round
 * @param replacement what an applied round changed, null for every other round
 * @param local       local mode's pruning and replica step, null when it did not run
 */
public record PlacementReport(Instant at, Outcome outcome, String decision, RoutingStats stats, LivePlacement live,
        PlanScore liveScore, PlacementPlan candidate, PlanScore candidateScore, PlanScore baselineScore,
        Traffic observed, Replacement replacement, LocalReport local) {

    /**
     * The units every service hosted before an applied re-placement and the units it hosts (local
     * mode) or is asked to host (Kubernetes mode, where the Deployments roll afterwards) after it.
     */
    public record Replacement(PlacementPlan before, PlacementPlan after) {
    }

    /** Whether this round applied a plan. */
    public boolean applied() {
        return outcome == Outcome.APPLIED;
    }

    /** A round at {@code at} that observed {@code observed}; the rest is added as the round learns it. */
    public static Builder at(Instant at, Traffic observed) {
        return new Builder(at, observed);
    }

    /** A round that threw: nothing it saw is kept. */
    public static PlacementReport failed(Instant at, String decision) {
        return at(at, Traffic.NONE).build(Outcome.FAILED, decision);
    }

    /** A round that did not run: this controller replica stands by. */
    public static PlacementReport standby(Instant at, String decision) {
        return at(at, Traffic.NONE).build(Outcome.STANDBY, decision);
    }

    /** This report with {@code note} (what the round could not read) before its decision; itself when blank. */
    public PlacementReport noted(String note) {
        return note.isEmpty() ? this : new PlacementReport(at, outcome, note + decision, stats, live, liveScore,
                candidate, candidateScore, baselineScore, observed, replacement, local);
    }

    /** This report with the local step's outcome. */
    public PlacementReport withLocal(LocalReport step) {
        return new PlacementReport(at, outcome, decision, stats, live, liveScore, candidate, candidateScore,
                baselineScore, observed, replacement, step);
    }

    /** Collects what a round learns step by step; {@link #build} names the outcome and says why. */
    public static final class Builder {
        private final Instant at;
        private final Traffic observed;
        private RoutingStats stats;
        private LivePlacement live;
        private PlanScore liveScore;
        private PlanScore baselineScore;
        private PlacementPlan candidate;
        private PlanScore candidateScore;
        private Replacement replacement;

        private Builder(Instant at, Traffic observed) {
            this.at = at;
            this.observed = observed;
        }

        /** The merged window and how the live placement and the one-service-per-expert baseline score on it. */
        public Builder scored(RoutingStats stats, LivePlacement live, PlanScore liveScore, PlanScore baselineScore) {
            this.stats = stats;
            this.baselineScore = baselineScore;
            return live(live, liveScore);
        }

        /** The live placement and its score (after a re-placement in place: what the endpoints host now). */
        public Builder live(LivePlacement live, PlanScore liveScore) {
            this.live = live;
            this.liveScore = liveScore;
            return this;
        }

        /** The plan the round computed and its score. */
        public Builder candidate(PlacementPlan candidate, PlanScore candidateScore) {
            this.candidate = candidate;
            this.candidateScore = candidateScore;
            return this;
        }

        /** What an applied round changed. */
        public Builder replacement(Replacement replacement) {
            this.replacement = replacement;
            return this;
        }

        public PlacementReport build(Outcome outcome, String decision) {
            return new PlacementReport(at, outcome, decision, stats, live, liveScore, candidate, candidateScore,
                    baselineScore, observed, replacement, null);
        }
    }
}
