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
 * One planning round: read the routers' statistics and endpoints, score the live placement, plan,
 * and apply the plan if it clears the hysteresis threshold, or if the live placement no longer fits
 * the memory budget (the budget was lowered). Applying is make-before-break:
 * <ol>
 *   <li>every endpoint whose units change gets its new partners (loaded and warmed before the call
 *       returns); partners it loses keep being computed (retiring);</li>
 *   <li>every router refreshes its view and returns once no step of the old routing runs;</li>
 *   <li>the endpoints release their retiring units (and the routers refresh once more, so that
 *       their views no longer list them).</li>
 * </ol>
 * If step 1 fails, the endpoints already changed get their previous partners back and the routers
 * never switch; if step 2 fails, nothing is released (a later round finishes the job: retiring
 * units found at the start of a round are released after a successful refresh). No layer step can
 * therefore reach an endpoint that no longer computes what it was sent. Not thread-safe: one
 * round at a time.
 */
public final class PlacementRound {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementRound.class);

    private final List<RouterPort> routers;
    private final ExpertPort experts;
    private final PlacementSettings settings;
    private final Clock clock;
    private final Map<String, Traffic> lastTraffic = new LinkedHashMap<>();

    public PlacementRound(List<RouterPort> routers, ExpertPort experts, PlacementSettings settings, Clock clock) {
        if (routers.isEmpty()) {
            throw new IllegalArgumentException("the controller needs at least one router to read statistics from");
        }
        this.routers = List.copyOf(routers);
        this.experts = experts;
        this.settings = settings;
        this.clock = clock;
    }

    public PlacementSettings settings() {
        return settings;
    }

    public PlacementReport run() {
        Instant now = clock.instant();
        Traffic observed = observeTraffic();
        List<RoutingStats> windows = new ArrayList<>();
        List<EndpointView> endpoints;
        try {
            routers.forEach(r -> windows.add(r.stats()));
            endpoints = endpoints();
        } catch (RuntimeException e) {
            return PlacementReport.stopped(now, "could not read the routers: " + e.getMessage(), observed);
        }
        RoutingStats stats = StatsMerge.sum(windows);
        List<EndpointView> managed = endpoints.stream().filter(v -> v.service().isPresent()).toList();
        if (managed.isEmpty()) {
            return PlacementReport.stopped(now, "nothing to place: no expert endpoint belongs to one expert service"
                    + " (a router running its experts in process has none)", observed);
        }
        ClusterShape shape = settings.shape(stats.numLayers(), stats.numExperts(), managed.getFirst().hiddenSize());
        LivePlacement live = LivePlacement.of(managed, stats.numLayers(), stats.numExperts());
        PlanScore liveScore = PlanScorer.score(live.plan(), stats, shape);
        PlanScore baseline = PlanScorer.score(PlacementBaselines.oneServicePerExpert(stats, shape), stats, shape);
        String cleanup = releaseLeftovers(managed);
        long windowTokens = maxTokens(stats);
        if (windowTokens < settings.minWindowTokens()) {
            return new PlacementReport(now, cleanup + "waiting for traffic: " + windowTokens
                    + " tokens in the window, planning needs " + settings.minWindowTokens(), false, stats, live,
                    liveScore, null, null, baseline, observed);
        }
        PlacementPlan candidate = CoactivationPlanner.plan(stats, shape);
        PlanScore candidateScore = PlanScorer.score(candidate, stats, shape);
        double gain = relativeGain(liveScore, candidateScore);
        String decision;
        boolean applied = false;
        String overBudget = overBudget(live.plan(), shape);
        if (overBudget == null && !PlanChange.shouldApply(liveScore, candidateScore, settings.minGain())) {
            decision = String.format("kept the live placement: the candidate would cut expected remote calls by"
                    + " %.1f%%, below the %.1f%% threshold", 100 * gain, 100 * settings.minGain());
        } else if (settings.dryRun()) {
            decision = String.format("dry run: would apply a plan changing expected remote calls by %+.1f%%"
                    + " (%.3f -> %.3f per token per layer)%s", -100 * gain, liveScore.remoteCallsPerToken(),
                    candidateScore.remoteCallsPerToken(), overBudget == null ? "" : "; live over budget: " + overBudget);
        } else {
            int changed;
            try {
                changed = apply(candidate, managed);
            } catch (RuntimeException e) {
                LOG.warn("re-placement failed", e);
                return new PlacementReport(now, cleanup + "re-placement failed, live placement kept: " + e.getMessage(),
                        false, stats, live, liveScore, candidate, candidateScore, baseline, observed);
            }
            applied = true;
            double callsBefore = liveScore.remoteCallsPerToken();
            live = reread(stats, live);
            decision = String.format("applied: %d endpoints re-placed; expected remote calls %.3f -> %.3f per"
                    + " token per layer (%+.1f%%)%s", changed, callsBefore,
                    candidateScore.remoteCallsPerToken(), -100 * gain,
                    overBudget == null ? "" : "; the live placement was over budget: " + overBudget);
            LOG.info(decision);
            liveScore = PlanScorer.score(live.plan(), stats, shape);
        }
        return new PlacementReport(now, cleanup + decision, applied, stats, live, liveScore, candidate,
                candidateScore, baseline, observed);
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

    /** Steps 1–3 of the class comment; returns how many endpoints changed. */
    private int apply(PlacementPlan plan, List<EndpointView> endpoints) {
        List<EndpointView> changed = new ArrayList<>();
        try {
            for (EndpointView v : endpoints) {
                SortedSet<Unit> wanted = new TreeSet<>(plan.hosted().get(v.service().getAsInt()));
                wanted.removeAll(v.base());
                if (!wanted.equals(v.partners())) {
                    experts.setPartners(v.target(), wanted);
                    changed.add(v);
                }
            }
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
        routers.forEach(RouterPort::refresh);
        changed.forEach(v -> experts.releaseRetired(v.target()));
        // once more, so the routers' views (which the next round reads) no longer list retiring units;
        // the routing itself does not change
        routers.forEach(RouterPort::refresh);
        return changed.size();
    }

    /** Retiring units left by an interrupted round: refresh every router, then release them. */
    private String releaseLeftovers(List<EndpointView> endpoints) {
        List<EndpointView> leftover = endpoints.stream().filter(v -> !v.retiring().isEmpty()).toList();
        if (leftover.isEmpty() || settings.dryRun()) {
            return "";
        }
        try {
            routers.forEach(RouterPort::refresh);
            leftover.forEach(v -> experts.releaseRetired(v.target()));
            return "released retiring units on " + leftover.size() + " endpoints; ";
        } catch (RuntimeException e) {
            return "could not release retiring units yet (" + e.getMessage() + "); ";
        }
    }

    /** The live placement after a re-placement, as the routers now see it; the old one if they cannot tell. */
    private LivePlacement reread(RoutingStats stats, LivePlacement fallback) {
        try {
            List<EndpointView> now = endpoints().stream().filter(v -> v.service().isPresent()).toList();
            return LivePlacement.of(now, stats.numLayers(), stats.numExperts());
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    /** Endpoints of every router, each target once. */
    private List<EndpointView> endpoints() {
        Map<String, EndpointView> byTarget = new LinkedHashMap<>();
        for (RouterPort r : routers) {
            r.endpoints().forEach(v -> byTarget.putIfAbsent(v.target(), v));
        }
        return List.copyOf(byTarget.values());
    }

    /** Traffic since the previous round, summed over the routers that answered both times. */
    private Traffic observeTraffic() {
        Traffic sum = Traffic.NONE;
        for (RouterPort r : routers) {
            try {
                Traffic now = r.traffic();
                Traffic before = lastTraffic.put(r.name(), now);
                if (before != null && now.tokenLayers() >= before.tokenLayers()) {
                    sum = sum.plus(now.minus(before));
                }
            } catch (RuntimeException e) {
                lastTraffic.remove(r.name());
            }
        }
        return sum;
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
