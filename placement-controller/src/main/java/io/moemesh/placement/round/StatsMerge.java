package io.moemesh.placement.round;

import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.List;

/** Several routers' windows as one: counts add up, the window spans them all. */
final class StatsMerge {

    private StatsMerge() {
    }

    static RoutingStats sum(List<RoutingStats> windows) {
        RoutingStats first = windows.getFirst();
        int layers = first.numLayers();
        int experts = first.numExperts();
        Instant start = first.windowStart();
        Instant end = first.windowEnd();
        RoutingStats sum = RoutingStats.empty(layers, experts, start, end);
        for (RoutingStats w : windows) {
            if (w.numLayers() != layers || w.numExperts() != experts) {
                throw new IllegalStateException("routers serve different models: " + layers + "x" + experts
                        + " and " + w.numLayers() + "x" + w.numExperts() + " (layers x experts)");
            }
            start = w.windowStart().isBefore(start) ? w.windowStart() : start;
            end = w.windowEnd().isAfter(end) ? w.windowEnd() : end;
            for (int l = 0; l < layers; l++) {
                sum.tokens()[l] += w.tokens()[l];
                for (int e = 0; e < experts; e++) {
                    sum.expertTokens()[l][e] += w.expertTokens()[l][e];
                }
                for (int i = 0; i < experts * experts; i++) {
                    sum.coactivation()[l][i] += w.coactivation()[l][i];
                }
            }
        }
        return new RoutingStats(layers, experts, start, end, sum.tokens(), sum.expertTokens(), sum.coactivation());
    }
}
