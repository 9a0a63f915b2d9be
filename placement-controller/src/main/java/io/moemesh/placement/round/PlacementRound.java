package io.moemesh.placement.round;

import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanChange;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.PlanScorer;
import io.moemesh.core.routing.RoutingStats;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One planning round: read the routers' statistics and endpoints, ask every endpoint what it hosts,
 * score the live placement, plan, and apply the plan if it clears the hysteresis threshold, or if
 * the live placement no longer fits the memory budget (the budget was lowered). How a plan is
 * applied is the {@link PlanApplier}'s. In place ({@link InPlaceApplier}, local mode) applying is
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
 * (what they loaded meanwhile becomes retiring, released the same way). Not thread-safe: one round
 * at a time.
 */
public final class PlacementRound {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementRound.class);

    private final RouterSource routers;
    private final ExpertPort experts;
    private final PlanApplier applier;
    private final PlacementSettings settings;
    private final Clock clock;
    private final Map<String, Traffic> lastTraffic = new LinkedHashMap<>();

    /** Local mode: plans are applied in place on the running endpoints ({@link InPlaceApplier}). */
    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock) {
        this(routers, experts, settings, clock, new InPlaceApplier(experts));
    }

    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock,
            PlanApplier applier) {
        this(RouterSource.fixed(routers), experts, settings, clock, applier);
    }

    /**
     * With the routers found anew every round ({@link RouterSource}: on Kubernetes, every router pod
     * behind the headless Service). An applier that {@linkplain PlanApplier#plansFromSomeRouters()
     * plans from some routers} names the others in the decision; otherwise every router must answer.
     */
    public PlacementRound(RouterSource routers, ExpertPort experts, PlacementSettings settings, Clock clock,
            PlanApplier applier) {
        this.routers = routers;
        this.experts = experts;
        this.settings = settings;
        this.clock = clock;
        this.applier = applier;
    }

    public PlacementSettings settings() {
        return settings;
    }

    public PlacementReport run() {
        applier.prepare(settings.dryRun());
        return applier.afterPlacing(place(), settings.dryRun());
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
        if (windows.isEmpty() || (!read.complete() && !applier.plansFromSomeRouters())) {
            LOG.warn("could not read the routers: {}", read.failures());
            return PlacementReport.at(now, observed).build(Outcome.FAILED,
                    "could not read the routers: " + read.failures());
        }
        if (!read.complete()) {
            LOG.warn("{}", read.note());
        }
        return plan(now, read.answered(), windows, views, observed).noted(read.note());
    }

    private PlacementReport plan(Instant now, List<RouterPort> answered, List<RoutingStats> windows,
            List<Map<String, EndpointView>> views, Traffic observed) {
        RoutingStats stats;
        try {
            stats = StatsMerge.sum(windows);
        } catch (StatsMerge.RefusedStatsException e) {
            LOG.warn("refused the routers' statistics: {}", e.getMessage());
            return PlacementReport.at(now, observed).build(Outcome.FAILED,
                    "refused the routers' statistics: " + e.getMessage());
        }
        List<EndpointView> managed = truth(views);
        if (managed.isEmpty()) {
            return PlacementReport.at(now, observed).build(Outcome.WAITING, "nothing to place: no expert endpoint"
                    + " belongs to one expert service (a router running its experts in process has none)");
        }
        String outside = unitOutside(managed, stats);
        if (outside != null) {
            LOG.warn("refused the routers' statistics: {}", outside);
            return PlacementReport.at(now, observed).build(Outcome.FAILED, "refused the routers' statistics: "
                    + outside);
        }
        return decide(now, new MeshState(answered, views, managed), stats, observed);
    }

    /**
     * Finishes what an earlier round left, scores the live placement, and keeps it, waits, or
     * applies the candidate (a dry run only says it would).
     */
    private PlacementReport decide(Instant now, MeshState mesh, RoutingStats stats, Traffic observed) {
        String sync = settings.dryRun() ? "" : applier.settle(mesh);
        List<EndpointView> managed = mesh.endpoints();
        ClusterShape shape = settings.shape(stats.numLayers(), stats.numExperts(), managed.getFirst().hiddenSize());
        LivePlacement live = LivePlacement.of(managed, stats.numLayers(), stats.numExperts());
        PlanScore liveScore = PlanScorer.score(live.plan(), stats, shape);
        PlacementReport.Builder report = PlacementReport.at(now, observed).scored(stats, live, liveScore,
                PlanScorer.score(PlacementBaselines.oneServicePerExpert(stats, shape), stats, shape));
        long windowTokens = maxTokens(stats);
        if (windowTokens < settings.minWindowTokens()) {
            return report.build(Outcome.WAITING, sync + "waiting for traffic: " + windowTokens
                    + " tokens in the window, planning needs " + settings.minWindowTokens());
        }
        PlacementPlan candidate = CoactivationPlanner.plan(stats, shape);
        PlanScore candidateScore = PlanScorer.score(candidate, stats, shape);
        report.candidate(candidate, candidateScore);
        double gain = relativeGain(liveScore, candidateScore);
        String overBudget = overBudget(live.plan(), shape);
        if (overBudget == null && !PlanChange.shouldApply(liveScore, candidateScore, settings.minGain())) {
            return report.build(Outcome.KEPT, sync + String.format("kept the live placement: the candidate would"
                    + " cut expected remote calls by %.1f%%, below the %.1f%% threshold", 100 * gain,
                    100 * settings.minGain()));
        }
        String change = String.format("expected remote calls %.3f -> %.3f per token per layer (%+.1f%%)%s",
                liveScore.remoteCallsPerToken(), candidateScore.remoteCallsPerToken(), -100 * gain,
                overBudget == null ? "" : "; the live placement was over budget: " + overBudget);
        if (settings.dryRun()) {
            return report.build(Outcome.DRY_RUN, "dry run: would apply a plan: " + change
                    + applier.preview(candidate));
        }
        PlanApplier.Applied applied = applier.apply(candidate, mesh, stats, live, change);
        if (applied.live() != live) {
            report.live(applied.live(), PlanScorer.score(applied.live().plan(), stats, shape));
        }
        return report.replacement(applied.replacement()).build(applied.outcome(), sync + applied.decision());
    }

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

    /** Each managed endpoint (any router lists it) as it describes itself; the routers' view if it cannot be asked. */
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

    static Map<String, EndpointView> byTarget(List<EndpointView> endpoints) {
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
