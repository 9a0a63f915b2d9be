package io.moemesh.placement.dashboard;

import io.moemesh.placement.round.EndpointCounters;
import io.moemesh.placement.round.RouterCounters;
import io.moemesh.placement.round.Traffic;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one router counted between two of its readings. A router whose counters went down restarted
 * between them: there is no delta, and its rates start afresh from the newer reading. An endpoint
 * the older reading did not list, or whose counters went down (the router dropped and re-created
 * it), has no delta either; one whose histogram bounds changed keeps its calls but no histogram.
 */
record RouterDelta(double seconds, long generated, long forward, long degraded, Traffic traffic,
        List<Endpoint> endpoints) {

    /** One endpoint's calls between the readings; the histogram arrays are empty when not comparable. */
    record Endpoint(String key, String target, long calls, long failed, long refused, long[] boundsMicros,
            long[] counts) {
    }

    static Optional<RouterDelta> between(Sample before, Sample after) {
        double seconds = (after.at().toEpochMilli() - before.at().toEpochMilli()) / 1000.0;
        RouterCounters b = before.counters();
        RouterCounters a = after.counters();
        Traffic t = after.traffic().minus(before.traffic());
        if (seconds <= 0 || a.generatedTokens() < b.generatedTokens() || a.forwardTokens() < b.forwardTokens()
                || a.degradedTokens() < b.degradedTokens() || t.tokenSends() < 0 || t.tokenLayers() < 0
                || t.bytes() < 0) {
            return Optional.empty();
        }
        Map<String, EndpointCounters> earlier = new HashMap<>();
        b.endpoints().forEach(e -> earlier.put(e.key(), e));
        List<Endpoint> endpoints = new ArrayList<>();
        for (EndpointCounters now : a.endpoints()) {
            EndpointCounters then = earlier.get(now.key());
            if (then != null && now.calls() >= then.calls() && now.failed() >= then.failed()
                    && now.refused() >= then.refused()) {
                endpoints.add(endpoint(then, now));
            }
        }
        return Optional.of(new RouterDelta(seconds, a.generatedTokens() - b.generatedTokens(),
                a.forwardTokens() - b.forwardTokens(), a.degradedTokens() - b.degradedTokens(), t,
                List.copyOf(endpoints)));
    }

    private static Endpoint endpoint(EndpointCounters then, EndpointCounters now) {
        long[] bounds = new long[0];
        long[] counts = new long[0];
        if (now.counts().length > 0 && Arrays.equals(now.boundsMicros(), then.boundsMicros())
                && then.counts().length == now.counts().length) {
            counts = new long[now.counts().length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = Math.max(0, now.counts()[i] - then.counts()[i]);
            }
            bounds = now.boundsMicros();
        }
        return new Endpoint(now.key(), now.target(), now.calls() - then.calls(), now.failed() - then.failed(),
                now.refused() - then.refused(), bounds, counts);
    }
}
