package io.moemesh.placement.round;

import java.util.List;

/**
 * A router's cumulative counters beside its window (RoutingStatsSnapshot.scheduler and
 * endpoint_calls): two readings subtract into tokens/s, the degraded rate and per-endpoint rates.
 * All zero and empty for a router that does not fill them in.
 *
 * @param forwardTokens   tokens its forward passes ran (SchedulerTiming.tokens)
 * @param generatedTokens tokens streamed to clients (SchedulerTiming.generated_tokens)
 * @param degradedTokens  forward tokens computed with a chosen expert routed around
 */
public record RouterCounters(long forwardTokens, long generatedTokens, long degradedTokens,
        List<EndpointCounters> endpoints) {

    public static final RouterCounters NONE = new RouterCounters(0, 0, 0, List.of());

    public RouterCounters {
        endpoints = List.copyOf(endpoints);
    }
}
