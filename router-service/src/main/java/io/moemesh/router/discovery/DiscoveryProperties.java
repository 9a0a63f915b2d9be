package io.moemesh.router.discovery;

import java.time.Duration;

/**
 * How the router applies what discovery reports ({@link ExpertEndpointsReconciler}).
 *
 * @param debounce   a change is applied this long after it was first reported, with the newest set by
 *                   then: a rollout's burst of EndpointSlice updates costs one switch, not one each
 * @param emptyGrace how long an empty set must last before the router drops the endpoints it has: an
 *                   API glitch or a mistaken selector must not wipe a working topology at once
 * @param resync     how often the router checks again without news: endpoints that did not answer
 *                   Describe are asked again, a switch that failed is retried
 */
public record DiscoveryProperties(Duration debounce, Duration emptyGrace, Duration resync) {

    public DiscoveryProperties {
        if (debounce.isNegative() || emptyGrace.isNegative()) {
            throw new IllegalArgumentException("discovery debounce and empty grace must not be negative, got "
                    + debounce + " and " + emptyGrace);
        }
        if (resync.isNegative() || resync.isZero()) {
            throw new IllegalArgumentException("discovery resync must be positive, got " + resync);
        }
    }

    public static DiscoveryProperties defaults() {
        return new DiscoveryProperties(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30));
    }
}
