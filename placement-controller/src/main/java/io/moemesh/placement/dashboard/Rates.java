package io.moemesh.placement.dashboard;

import io.moemesh.placement.round.EndpointCounters;
import io.moemesh.placement.round.RouterCounters;
import io.moemesh.placement.round.Traffic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The routers' deltas as the dashboard's rates: each router's counts over its own interval, summed.
 * tokens/s = generated tokens / s; degraded rate = degraded / forward tokens; remote calls per token
 * per layer = token sends / token layers; bytes per token per layer = (sent + received) / token layers
 * (the definitions of DispatchTraffic and SchedulerTiming in expert.proto).
 */
final class Rates {

    private Rates() {
    }

    static DashboardView.Summary summary(List<RouterDelta> deltas) {
        if (deltas.isEmpty()) {
            return new DashboardView.Summary(null, null, null, null);
        }
        double tokensPerSecond = 0;
        long forward = 0;
        long degraded = 0;
        Traffic traffic = Traffic.NONE;
        for (RouterDelta d : deltas) {
            tokensPerSecond += d.generated() / d.seconds();
            forward += d.forward();
            degraded += d.degraded();
            traffic = traffic.plus(d.traffic());
        }
        return new DashboardView.Summary(tokensPerSecond, forward == 0 ? null : degraded / (double) forward,
                traffic.tokenLayers() == 0 ? null : traffic.callsPerToken(),
                traffic.tokenLayers() == 0 ? null : traffic.bytesPerToken());
    }

    /**
     * Every endpoint some router reported at the last poll, in the order first seen; rates from the
     * routers that have a delta for it (none yet: null rates).
     */
    static List<DashboardView.EndpointRow> endpoints(List<RouterCounters> current, List<RouterDelta> deltas) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (RouterCounters c : current) {
            for (EndpointCounters e : c.endpoints()) {
                Row row = rows.computeIfAbsent(e.key(), k -> new Row(e.target()));
                row.routers++;
                row.accepting &= e.accepting();
            }
        }
        for (RouterDelta d : deltas) {
            for (RouterDelta.Endpoint e : d.endpoints()) {
                Row row = rows.get(e.key());
                if (row != null) {
                    row.measured = true;
                    row.callsPerSecond += e.calls() / d.seconds();
                    row.refusedPerSecond += e.refused() / d.seconds();
                    row.calls += e.calls();
                    row.failed += e.failed();
                    if (e.counts().length > 0) {
                        row.latency.add(e.boundsMicros(), e.counts());
                    }
                }
            }
        }
        List<DashboardView.EndpointRow> out = new ArrayList<>();
        rows.forEach((key, r) -> out.add(r.toView(key)));
        return out;
    }

    private static final class Row {
        final String target;
        final LatencyHistogram latency = new LatencyHistogram();
        int routers;
        boolean accepting = true;
        boolean measured;
        double callsPerSecond;
        double refusedPerSecond;
        long calls;
        long failed;

        Row(String target) {
            this.target = target;
        }

        DashboardView.EndpointRow toView(String key) {
            if (!measured) {
                return new DashboardView.EndpointRow(key, target, null, null, null, null, null, accepting, routers);
            }
            return new DashboardView.EndpointRow(key, target, callsPerSecond,
                    calls == 0 ? null : failed / (double) calls, refusedPerSecond, latency.quantileMillis(0.50),
                    latency.quantileMillis(0.99), accepting, routers);
        }
    }
}
