package io.moemesh.placement.round;

import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanChange;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.PlanScorer;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.kubernetes.Change;
import io.moemesh.placement.kubernetes.PlacementReconciler;
import io.moemesh.placement.local.LocalReport;
import io.moemesh.placement.local.LocalScaling;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One planning round: read the routers' statistics and endpoints, ask every endpoint what it hosts,
 * score the live placement, plan, and apply the plan if it clears the hysteresis threshold, or if
 * the live placement no longer fits the memory budget (the budget was lowered). Applying is
 * make-before-break:
 * <ol>
 *   <li>every endpoint whose units change gets its new partners (loaded and warmed before the call
 *       returns); partners it loses keep being computed (retiring);</li>
 *   <li>every router refreshes its view and returns once no step of the old routing runs;</li>
 *   <li>an endpoint's retiring units are released only once every router's refreshed view of it
 *       shows exactly what the endpoint now hosts — a router that could not re-describe it keeps
 *       routing by its old description, so its retiring units stay until a later round sees the
 *       router switched.</li>
 * </ol>
 * The live state is read every round from the endpoints themselves, not from the routers' views or
 * the controller's memory (level-based): whatever interrupted a round — a failed step, a controller
 * restart between steps, a call that timed out but took effect — the next round finds endpoints
 * whose units differ from the routers' views or that hold retiring units, and finishes steps 2–3
 * for them first. If step 1 fails, the endpoints already changed get their previous partners back
 * (what they loaded meanwhile becomes retiring, released the same way). In local mode with expert
 * processes configured, a second step follows on the same window: pruning and replicas
 * ({@link LocalScaling}). Not thread-safe: one round at a time.
 */
public final class PlacementRound {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementRound.class);

    private final RouterSource routers;
    private final ExpertPort experts;
    private final PlacementSettings settings;
    private final Clock clock;
    private final Map<String, Traffic> lastTraffic = new LinkedHashMap<>();
    private final PlacementReconciler kubernetes;
    private final LocalScaling local;

    /** Local mode: plans are applied in place on the running endpoints (class comment). */
    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock) {
        this(routers, experts, settings, clock, null);
    }

    /**
     * With {@code kubernetes} non-null, plans are applied to the cluster instead: the reconciler writes
     * the expert Deployments' partner-units annotations and the HPAs' replica floors, the Deployments
     * roll their pods (new pods start with their units), and the routers discover the new pods from
     * their EndpointSlices; nothing is changed in place and there is nothing to switch or release.
     */
    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock,
            PlacementReconciler kubernetes) {
        this(routers, experts, settings, clock, kubernetes, null);
    }

    /**
     * Local mode with {@code local} non-null: after placing, each round also prunes and restores
     * experts and starts and stops replicas of the expert processes ({@link LocalScaling}).
     */
    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock,
            PlacementReconciler kubernetes, LocalScaling local) {
        this(RouterSource.fixed(routers), experts, settings, clock, kubernetes, local);
    }

    /**
     * As above, with the routers found anew every round ({@link RouterSource}: on Kubernetes, every
     * router pod behind the headless Service). In Kubernetes mode a round plans from the routers that
     * answered and names the others in its decision; in local mode every router must answer, since
     * they switch together.
     */
    public PlacementRound(RouterSource routers, ExpertPort experts, PlacementSettings settings, Clock clock,
            PlacementReconciler kubernetes, LocalScaling local) {
        if (kubernetes != null && local != null) {
            throw new IllegalArgumentException("local process management and Kubernetes mode exclude each other");
        }
        this.kubernetes = kubernetes;
        this.local = local;
        this.routers = routers;
        this.experts = experts;
        this.settings = settings;
        this.clock = clock;
    }

    public PlacementSettings settings() {
        return settings;
    }

    public PlacementReport run() {
        if (kubernetes != null && !settings.dryRun()) {
            kubernetes.keepBounds(); // operator floors and autoscaler ceilings hold, plan or not
        }
        PlacementReport placed = place();
        if (local == null || placed.stats() == null || placed.live() == null) {
            return placed;
        }
        try {
            PlacementPlan plan = placed.candidate() != null ? placed.candidate() : placed.live().plan();
            return placed.withLocal(local.apply(placed.stats(), plan, settings.dryRun()));
        } catch (RuntimeException e) {
            LOG.warn("the local pruning and replica step failed", e);
            return placed.withLocal(new LocalReport(new java.util.TreeSet<>(), "", 0, 0, new double[0], new int[0],
                    new int[0], 0, "the local pruning and replica step failed: " + e.getMessage()));
        }
    }

    private PlacementReport place() {
        Instant now = clock.instant();
        RouterReadings read = RouterReadings.read(routers);
        lastTraffic.keySet().retainAll(read.names()); // routers that are gone: nothing grows with pod churn
        List<RoutingStats> windows = new ArrayList<>();
        List<Map<String, EndpointView>> views = new ArrayList<>();
        Traffic observed = Traffic.NONE;
        for (int i = 0; i < read.answered().size(); i++) {
            RouterPort.Reading reading = read.readings().get(i);
            windows.add(reading.stats());
            observed = observed.plus(observeTraffic(read.answered().get(i).name(), reading.traffic()));
            views.add(byTarget(read.endpoints().get(i)));
        }
        if (windows.isEmpty() || (!read.complete() && kubernetes == null)) {
            LOG.warn("could not read the routers: {}", read.failures());
            return PlacementReport.stopped(now, "could not read the routers: " + read.failures(), observed);
        }
        if (!read.complete()) {
            LOG.warn("{}", read.note());
        }
        return plan(now, read, windows, views, observed).noted(read.note());
    }

    private PlacementReport plan(Instant now, RouterReadings read, List<RoutingStats> windows,
            List<Map<String, EndpointView>> views, Traffic observed) {
        RoutingStats stats;
        try {
            stats = StatsMerge.sum(windows);
        } catch (StatsMerge.RefusedStatsException e) {
            LOG.warn("refused the routers' statistics: {}", e.getMessage());
            return PlacementReport.stopped(now, "refused the routers' statistics: " + e.getMessage(), observed);
        }
        List<EndpointView> managed = truth(views);
        if (managed.isEmpty()) {
            return PlacementReport.stopped(now, "nothing to place: no expert endpoint belongs to one expert service"
                    + " (a router running its experts in process has none)", observed);
        }
        String outside = unitOutside(managed, stats);
        if (outside != null) {
            LOG.warn("refused the routers' statistics: {}", outside);
            return PlacementReport.stopped(now, "refused the routers' statistics: " + outside, observed);
        }
        String sync = settings.dryRun() || kubernetes != null ? "" : synchronize(read.answered(), managed, views);
        ClusterShape shape = settings.shape(stats.numLayers(), stats.numExperts(), managed.getFirst().hiddenSize());
        LivePlacement live = LivePlacement.of(managed, stats.numLayers(), stats.numExperts());
        PlanScore liveScore = PlanScorer.score(live.plan(), stats, shape);
        PlanScore baseline = PlanScorer.score(PlacementBaselines.oneServicePerExpert(stats, shape), stats, shape);
        long windowTokens = maxTokens(stats);
        if (windowTokens < settings.minWindowTokens()) {
            return new PlacementReport(now, sync + "waiting for traffic: " + windowTokens
                    + " tokens in the window, planning needs " + settings.minWindowTokens(), false, stats, live,
                    liveScore, null, null, baseline, observed);
        }
        PlacementPlan candidate = CoactivationPlanner.plan(stats, shape);
        PlanScore candidateScore = PlanScorer.score(candidate, stats, shape);
        double gain = relativeGain(liveScore, candidateScore);
        String overBudget = overBudget(live.plan(), shape);
        if (overBudget == null && !PlanChange.shouldApply(liveScore, candidateScore, settings.minGain())) {
            return new PlacementReport(now, sync + String.format("kept the live placement: the candidate would cut"
                    + " expected remote calls by %.1f%%, below the %.1f%% threshold", 100 * gain,
                    100 * settings.minGain()), false, stats, live, liveScore, candidate, candidateScore, baseline,
                    observed);
        }
        String change = String.format("expected remote calls %.3f -> %.3f per token per layer (%+.1f%%)%s",
                liveScore.remoteCallsPerToken(), candidateScore.remoteCallsPerToken(), -100 * gain,
                overBudget == null ? "" : "; the live placement was over budget: " + overBudget);
        if (settings.dryRun()) {
            String would = kubernetes == null ? "" : "; " + describe(kubernetes.reconcile(candidate, true));
            return new PlacementReport(now, "dry run: would apply a plan: " + change + would, false, stats, live,
                    liveScore, candidate, candidateScore, baseline, observed);
        }
        if (kubernetes != null) {
            return reconcile(now, candidate, change, stats, live, liveScore, candidateScore, baseline, observed);
        }
        List<EndpointView> after;
        try {
            after = setPartners(candidate, managed);
        } catch (RuntimeException e) {
            LOG.warn("re-placement failed", e);
            return new PlacementReport(now, sync + "re-placement failed, previous partners restored: "
                    + e.getMessage(), false, stats, live, liveScore, candidate, candidateScore, baseline, observed);
        }
        int changed = (int) after.stream().filter(v -> !managed.contains(v)).count();
        if (changed == 0) {
            // the candidate differs only for services with no running endpoint (pruned in local mode):
            // nothing can change on them, so this is not a re-placement
            return new PlacementReport(now, (sync + "kept the live placement: the candidate changes only services"
                    + " with no running endpoint (" + change + ")"), false, stats, live, liveScore, candidate,
                    candidateScore, baseline, observed);
        }
        String switched = synchronize(read.answered(), after, views);
        String decision = (sync + "applied: " + changed + " endpoints re-placed; " + change + "; " + switched)
                .replaceAll(";\\s*$", "");
        LOG.info(decision);
        PlacementPlan before = live.plan();
        live = LivePlacement.of(after, stats.numLayers(), stats.numExperts());
        return new PlacementReport(now, decision, true, stats, live,
                PlanScorer.score(live.plan(), stats, shape), candidate, candidateScore, baseline, observed,
                new PlacementReport.Replacement(before, live.plan()));
    }

    /** Kubernetes mode: the cluster converges by rolling the expert Deployments the reconciler changed. */
    private PlacementReport reconcile(Instant now, PlacementPlan candidate, String change, RoutingStats stats,
            LivePlacement live, PlanScore liveScore, PlanScore candidateScore, PlanScore baseline, Traffic observed) {
        List<Change> changes;
        try {
            changes = kubernetes.reconcile(candidate, false);
        } catch (RuntimeException e) {
            LOG.warn("reconciling the cluster failed", e);
            return new PlacementReport(now, "reconciling the cluster failed: " + e.getMessage(), false, stats, live,
                    liveScore, candidate, candidateScore, baseline, observed);
        }
        boolean wrote = changes.stream().anyMatch(c -> c.kind() != Change.Kind.ROLLOUT_WAIT);
        String decision = changes.isEmpty()
                ? "the cluster already asks for this plan; rollout in progress (" + change + ")"
                : !wrote ? "waiting for a rollout before applying a plan: " + describe(changes) + "; " + change
                : "applied through Kubernetes: " + describe(changes) + "; " + change
                        + "; the expert Deployments roll one at a time and the routers discover the new pods";
        if (!changes.isEmpty()) {
            LOG.info(decision);
        }
        return new PlacementReport(now, decision, wrote, stats, live, liveScore, candidate,
                candidateScore, baseline, observed,
                wrote ? new PlacementReport.Replacement(live.plan(), candidate) : null);
    }

    private static String describe(List<Change> changes) {
        return changes.size() + " changes" + (changes.isEmpty() ? "" : " (" + String.join(", ",
                changes.stream().map(Change::toString).toList()) + ")");
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
                refreshed.add(byTarget(r.refresh()));
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

    /** Each managed endpoint (any router lists it) as it describes itself; the routers' view if it cannot be asked. */
    /**
     * The statistics must describe the model the experts serve: a unit (layer, expert) an endpoint
     * hosts outside the statistics' shape means they disagree (a router of another model, or one
     * lying), and planning from them would index past their arrays. Null when all fit.
     */
    private static String unitOutside(List<EndpointView> endpoints, RoutingStats stats) {
        for (EndpointView endpoint : endpoints) {
            for (var unit : endpoint.hosted()) {
                if (unit.layer() < 0 || unit.layer() >= stats.numLayers() || unit.expert() < 0
                        || unit.expert() >= stats.numExperts()) {
                    return "they describe " + stats.numLayers() + " layers x " + stats.numExperts()
                            + " experts, but " + endpoint.target() + " hosts layer " + unit.layer() + " expert "
                            + unit.expert();
                }
            }
        }
        return null;
    }

    private List<EndpointView> truth(List<Map<String, EndpointView>> views) {
        Map<String, EndpointView> known = new LinkedHashMap<>();
        views.forEach(view -> view.values().forEach(v -> known.putIfAbsent(v.target(), v)));
        List<EndpointView> out = new ArrayList<>();
        for (EndpointView seen : known.values()) {
            if (seen.service().isEmpty()) {
                continue;
            }
            try {
                out.add(experts.describe(seen.target()));
            } catch (RuntimeException e) {
                LOG.debug("endpoint {} did not answer Describe ({}); using the routers' view", seen.target(),
                        e.getMessage());
                out.add(seen);
            }
        }
        return out;
    }

    /**
     * Why the live placement breaks the memory budget (after the budget was lowered, or partners were
     * given by hand), or null: a plan that fits replaces it whatever the hysteresis says.
     */
    private static String overBudget(PlacementPlan live, ClusterShape shape) {
        if (live.totalUnits() > shape.maxTotalUnits()) {
            return live.totalUnits() + " units hosted, the budget allows " + shape.maxTotalUnits();
        }
        for (int s = 0; s < live.hosted().size(); s++) {
            if (live.hosted().get(s).size() > shape.perServiceUnitCap()) {
                return "service " + s + " hosts " + live.hosted().get(s).size() + " units, at most "
                        + shape.perServiceUnitCap() + " per service";
            }
        }
        return null;
    }

    private static Map<String, EndpointView> byTarget(List<EndpointView> endpoints) {
        Map<String, EndpointView> map = new LinkedHashMap<>();
        endpoints.forEach(v -> map.put(v.target(), v));
        return map;
    }

    /** A router's traffic since its previous reading (none at the first, or after its counters restarted). */
    private Traffic observeTraffic(String router, Traffic now) {
        Traffic before = lastTraffic.put(router, now);
        return before != null && now.tokenLayers() >= before.tokenLayers() ? now.minus(before) : Traffic.NONE;
    }

    private static long maxTokens(RoutingStats stats) {
        long max = 0;
        for (long t : stats.tokens()) {
            max = Math.max(max, t);
        }
        return max;
    }

    private static double relativeGain(PlanScore live, PlanScore candidate) {
        double now = live.remoteCallsPerToken();
        return now <= 0 ? 0 : (now - candidate.remoteCallsPerToken()) / now;
    }
}
