package io.moemesh.placement.dashboard;

import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.PlacementReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** One poll's results as the dashboard's view. */
final class ViewAssembler {

    private final Instant at;
    private final long refreshMillis;
    private final List<DashboardView.Router> routers;
    private final DashboardView.Summary summary;
    private final List<DashboardView.Point> history;
    private final List<DashboardView.EndpointRow> endpoints;
    private final PlacementLoop.State placement;

    ViewAssembler(Instant at, long refreshMillis, List<DashboardView.Router> routers, DashboardView.Summary summary,
            List<DashboardView.Point> history, List<DashboardView.EndpointRow> endpoints,
            PlacementLoop.State placement) {
        this.at = at;
        this.refreshMillis = refreshMillis;
        this.routers = routers;
        this.summary = summary;
        this.history = history;
        this.endpoints = endpoints;
        this.placement = placement;
    }

    /** Before the first poll. */
    static DashboardView initial(long refreshMillis) {
        return new DashboardView("empty", 0, refreshMillis, null, null, List.of(),
                new DashboardView.Summary(null, null, null, null), List.of(), List.of(), List.of(), List.of(),
                null);
    }

    /** No statistics to show: every router failed, or their windows cannot be merged. */
    DashboardView failed(String error) {
        return new DashboardView("error", at.toEpochMilli(), refreshMillis, error, null, List.of(), summary, history,
                routers, endpoints, List.of(), placement(null));
    }

    /**
     * @param fromRouters the services as the routers list their endpoints, asked only when no planning
     *                    round has a live placement yet (null when they list none)
     */
    DashboardView build(RoutingStats stats, Supplier<LivePlacement> fromRouters) {
        List<DashboardView.Layer> layers = new ArrayList<>();
        long tokens = 0;
        for (int l = 0; l < stats.numLayers(); l++) {
            layers.add(new DashboardView.Layer(l, stats.tokens()[l], stats.expertTokens()[l].clone(),
                    stats.coactivation()[l].clone()));
            for (long n : stats.expertTokens()[l]) {
                tokens += n;
            }
        }
        PlacementReport latest = placement == null ? null : placement.latest();
        LivePlacement live = latest == null ? null : latest.live();
        String servicesFrom = live == null ? "routers" : "round";
        if (live == null) {
            live = fromRouters.get();
        }
        PlacementReport lastApplied = placement == null ? null : placement.lastAppliedReport();
        List<DashboardView.ServiceRow> services = live == null ? List.of()
                : ServiceRows.of(live, lastApplied == null ? null : lastApplied.replacement());
        String error = routers.stream().filter(r -> !r.ok()).map(r -> r.name() + ": " + r.error())
                .reduce((a, b) -> a + "; " + b).orElse(null);
        return new DashboardView(tokens > 0 ? "live" : "empty", at.toEpochMilli(), refreshMillis, error,
                new DashboardView.Model(stats.numLayers(), stats.numExperts(), stats.windowStart().toEpochMilli(),
                        stats.windowEnd().toEpochMilli()),
                layers, summary, history, routers, endpoints, services, placement(live == null ? null : servicesFrom));
    }

    private DashboardView.Placement placement(String servicesFrom) {
        if (placement == null) {
            return null;
        }
        PlacementReport latest = placement.latest();
        PlacementReport applied = placement.lastAppliedReport();
        DashboardView.LastChange change = applied == null ? null : new DashboardView.LastChange(
                applied.at().toEpochMilli(), applied.decision(),
                applied.replacement() == null ? 0 : ServiceRows.changed(applied.replacement()));
        return new DashboardView.Placement(latest == null ? "no planning round yet" : latest.decision(),
                latest == null ? null : latest.at().toEpochMilli(), placement.plansApplied(), change, servicesFrom,
                latest == null || latest.liveScore() == null ? null : latest.liveScore().remoteCallsPerToken(),
                latest == null || latest.baselineScore() == null ? null
                        : latest.baselineScore().remoteCallsPerToken());
    }
}
