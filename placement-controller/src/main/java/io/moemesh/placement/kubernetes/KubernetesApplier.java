package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.MeshState;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport.Replacement;
import io.moemesh.placement.round.PlanApplier;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode: a plan is applied to the cluster. The reconciler writes the expert Deployments'
 * partner-units annotations and the HPAs' replica floors, the Deployments roll their pods (new pods
 * start with their units), and the routers discover the new pods from their EndpointSlices; nothing
 * is changed in place, so there is nothing to switch or release.
 */
public final class KubernetesApplier implements PlanApplier {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesApplier.class);

    private final PlacementReconciler reconciler;

    public KubernetesApplier(PlacementReconciler reconciler) {
        this.reconciler = reconciler;
    }

    @Override
    public void prepare(boolean dryRun) {
        if (!dryRun) {
            reconciler.keepBounds(); // operator floors and autoscaler ceilings hold, plan or not
        }
    }

    @Override
    public boolean plansFromSomeRouters() {
        return true;
    }

    @Override
    public String preview(PlacementPlan candidate) {
        return "; " + describe(reconciler.reconcile(candidate, true));
    }

    /** The cluster converges by rolling the expert Deployments the reconciler changed. */
    @Override
    public Applied apply(PlacementPlan candidate, MeshState mesh, RoutingStats stats, LivePlacement live,
            String change) {
        List<Change> changes;
        try {
            changes = reconciler.reconcile(candidate, false);
        } catch (RuntimeException e) {
            LOG.warn("reconciling the cluster failed", e);
            return Applied.not(Outcome.FAILED, "reconciling the cluster failed: " + e.getMessage(), live);
        }
        boolean wrote = changes.stream().anyMatch(c -> c.kind() != Change.Kind.ROLLOUT_WAIT);
        String decision = changes.isEmpty()
                ? "the cluster already asks for this plan; rollout in progress (" + change + ")"
                : !wrote ? "waiting for a rollout before applying a plan: " + describe(changes) + "; " + change
                : "applied through Kubernetes: " + describe(changes) + "; " + change
                        + "; the expert Deployments roll one at a time and the routers discover the new pods";
        if (changes.isEmpty()) {
            return Applied.not(Outcome.KEPT, decision, live);
        }
        LOG.info(decision);
        return wrote ? new Applied(Outcome.APPLIED, decision, live, new Replacement(live.plan(), candidate))
                : Applied.not(Outcome.WAITING, decision, live);
    }

    private static String describe(List<Change> changes) {
        return changes.size() + " changes" + (changes.isEmpty() ? "" : " (" + String.join(", ",
                changes.stream().map(Change::toString).toList()) + ")");
    }
}
