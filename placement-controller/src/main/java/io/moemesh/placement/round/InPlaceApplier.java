package io.moemesh.placement.round;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.local.LocalReport;
import io.moemesh.placement.local.LocalScaling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode: a plan is applied in place on the running endpoints, make-before-break with the
 * routers (steps 1–3 of {@link PlacementRound}'s class comment). With {@link LocalScaling}, each
 * round also prunes and restores experts and starts and stops replicas of the expert processes.
 * Not thread-safe: one round at a time.
 */
public final class InPlaceApplier implements PlanApplier {

    private static final Logger LOG = LoggerFactory.getLogger(InPlaceApplier.class);

    private final ExpertPort experts;
    private final Optional<LocalScaling> scaling;

    /** Places only; the expert processes are someone else's. */
    public InPlaceApplier(ExpertPort experts) {
        this(experts, Optional.empty());
    }

    /** Places, then runs the local pruning and replica step on the same window. */
    public InPlaceApplier(ExpertPort experts, LocalScaling scaling) {
        this(experts, Optional.of(scaling));
    }

    private InPlaceApplier(ExpertPort experts, Optional<LocalScaling> scaling) {
        this.experts = experts;
        this.scaling = scaling;
    }

    @Override
    public boolean plansFromSomeRouters() {
        return false;
    }

    @Override
    public String settle(MeshState mesh) {
        return synchronize(mesh.routers(), mesh.endpoints(), mesh.views());
    }

    @Override
    public String preview(PlacementPlan candidate) {
        return "";
    }

    @Override
    public Applied apply(PlacementPlan candidate, MeshState mesh, RoutingStats stats, LivePlacement live,
            String change) {
        List<EndpointView> after;
        try {
            after = setPartners(candidate, mesh.endpoints());
        } catch (RuntimeException e) {
            LOG.warn("re-placement failed", e);
            return Applied.not(Outcome.FAILED, "re-placement failed, previous partners restored: "
                    + e.getMessage(), live);
        }
        int changed = (int) after.stream().filter(v -> !mesh.endpoints().contains(v)).count();
        if (changed == 0) {
            // the candidate differs only for services with no running endpoint (pruned in local mode):
            // nothing can change on them, so this is not a re-placement
            return Applied.not(Outcome.KEPT, "kept the live placement: the candidate changes only services with"
                    + " no running endpoint (" + change + ")", live);
        }
        String switched = synchronize(mesh.routers(), after, mesh.views());
        String decision = ("applied: " + changed + " endpoints re-placed; " + change + "; " + switched)
                .replaceAll(";\\s*$", "");
        LOG.info(decision);
        LivePlacement now = LivePlacement.of(after, stats.numLayers(), stats.numExperts());
        return new Applied(Outcome.APPLIED, decision, now, new PlacementReport.Replacement(live.plan(), now.plan()));
    }

    @Override
    public PlacementReport afterPlacing(PlacementReport placed, boolean dryRun) {
        if (scaling.isEmpty() || placed.stats() == null || placed.live() == null) {
            return placed;
        }
        try {
            PlacementPlan plan = placed.candidate() != null ? placed.candidate() : placed.live().plan();
            return placed.withLocal(scaling.get().apply(placed.stats(), plan, dryRun));
        } catch (RuntimeException e) {
            LOG.warn("the local pruning and replica step failed", e);
            return placed.withLocal(LocalReport.failed("the local pruning and replica step failed: "
                    + e.getMessage()));
        }
    }

    /**
     * Step 1 for every endpoint whose partners differ from the plan's; returns every endpoint's state
     * afterwards. An endpoint counts as changed before it is called, so one whose call failed or timed
     * out (and may still take effect) is reverted too; reverting is idempotent.
     */
    private List<EndpointView> setPartners(PlacementPlan plan, List<EndpointView> endpoints) {
        List<EndpointView> changed = new ArrayList<>();
        List<EndpointView> after = new ArrayList<>();
        try {
            for (EndpointView v : endpoints) {
                SortedSet<Unit> wanted = new TreeSet<>(plan.hosted().get(v.service().getAsInt()));
                wanted.removeAll(v.base());
                if (wanted.equals(v.partners())) {
                    after.add(v);
                } else {
                    changed.add(v);
                    after.add(experts.setPartners(v.target(), wanted));
                }
            }
            return after;
        } catch (RuntimeException e) {
            for (EndpointView v : changed) {
                try {
                    experts.setPartners(v.target(), v.partners());
                } catch (RuntimeException revert) {
                    e.addSuppressed(revert);
                }
            }
            throw e;
        }
    }

    /**
     * Steps 2–3 for endpoints whose units a router does not know yet or that hold retiring units:
     * refresh every router, then release the retiring units of each endpoint every router now sees
     * as it is. Returns what it did, for the decision ("" when nothing was needed).
     */
    private String synchronize(List<RouterPort> routers, List<EndpointView> endpoints,
            List<Map<String, EndpointView>> views) {
        List<EndpointView> stale = endpoints.stream().filter(v -> !v.retiring().isEmpty() || !seenByAll(v, views))
                .toList();
        if (stale.isEmpty()) {
            return "";
        }
        List<Map<String, EndpointView>> refreshed = new ArrayList<>();
        try {
            for (RouterPort r : routers) {
                refreshed.add(PlacementRound.byTarget(r.refresh()));
            }
        } catch (RuntimeException e) {
            return "the routers have not switched yet, nothing released (" + e.getMessage() + "); ";
        }
        views.clear();
        views.addAll(refreshed);
        int released = 0;
        int pending = 0;
        for (EndpointView v : stale) {
            if (v.retiring().isEmpty()) {
                continue;
            }
            if (!seenByAll(v, refreshed)) {
                pending++;
                continue;
            }
            try {
                experts.releaseRetired(v.target());
                released++;
            } catch (RuntimeException e) {
                pending++;
            }
        }
        return "routers switched" + (released == 0 ? "" : ", retiring units released on " + released + " endpoints")
                + (pending == 0 ? "" : ", " + pending + " endpoints keep retiring units until every router has"
                        + " re-described them") + "; ";
    }

    /** Every router routes by what the endpoint hosts now (its base and partner units, no more, no less). */
    private static boolean seenByAll(EndpointView v, List<Map<String, EndpointView>> views) {
        for (Map<String, EndpointView> view : views) {
            EndpointView seen = view.get(v.target());
            if (seen == null || !seen.hosted().equals(v.hosted())) {
                return false;
            }
        }
        return true;
    }
}
