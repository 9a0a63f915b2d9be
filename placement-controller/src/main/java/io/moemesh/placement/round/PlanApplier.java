package io.moemesh.placement.round;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.routing.RoutingStats;

/**
 * How a round's plan reaches the experts: {@link InPlaceApplier} (local mode: the running endpoints
 * take their new partners, make-before-break with the routers) or {@code KubernetesApplier} (the
 * expert Deployments are annotated and roll their pods). The round reads, scores and decides;
 * everything that differs between the two modes is behind this interface.
 */
public interface PlanApplier {

    /** Work every round does first, plan or not (Kubernetes: replica floors and ceilings hold). */
    default void prepare(boolean dryRun) {
    }

    /**
     * Whether a round may plan from the routers that answered when some did not. In place they must
     * all switch together, so all must answer; on Kubernetes the routers discover the new pods alone.
     */
    boolean plansFromSomeRouters();

    /**
     * Finishes what an earlier round left undone before this one plans (in place: steps 2–3 of the
     * round's class comment); what it did, as a prefix for the decision ("" when nothing was needed).
     */
    default String settle(MeshState mesh) {
        return "";
    }

    /** What applying {@code candidate} would change, appended to a dry run's decision ("" for nothing more). */
    String preview(PlacementPlan candidate);

    /**
     * Applies {@code candidate} over the live placement; {@code change} is the round's sentence on the
     * scores, for the decision.
     */
    Applied apply(PlacementPlan candidate, MeshState mesh, RoutingStats stats, LivePlacement live, String change);

    /** A step that follows placing, on the same window (local mode: pruning and replicas); none by default. */
    default PlacementReport afterPlacing(PlacementReport placed, boolean dryRun) {
        return placed;
    }

    /**
     * What applying did.
     *
     * @param outcome     {@link Outcome#APPLIED}, or why not ({@link Outcome#KEPT}, {@link Outcome#WAITING},
     *                    {@link Outcome#FAILED})
     * @param decision    what it did, for the round's decision
     * @param live        the live placement afterwards (the one given when nothing changed in place)
     * @param replacement what changed, null when nothing was applied
     */
    record Applied(Outcome outcome, String decision, LivePlacement live, PlacementReport.Replacement replacement) {

        /** Nothing changed: the live placement stays as it was. */
        public static Applied not(Outcome outcome, String decision, LivePlacement live) {
            return new Applied(outcome, decision, live, null);
        }
    }
}
