package io.moemesh.router.discovery;

import java.time.Duration;
import org.springframework.boot.convert.DurationStyle;

/**
 * How the router applies what discovery reports ({@link ExpertEndpointsReconciler}). Bound flat from
 * {@code moemesh.router.discovery-*}; the defaults live here, as the property text that
 * {@code RouterProperties}' {@code @DefaultValue}s name.
 *
 * @param debounce   a change is applied this long after it was first reported, with the newest set by
 *                   then: a rollout's burst of EndpointSlice updates costs one switch, not one each
 * @param emptyGrace how long an empty set must last before the router drops the endpoints it has: an
 *                   API glitch or a mistaken selector must not wipe a working topology at once
 * @param resync     how often the router checks again without news: endpoints that did not answer
 *                   Describe are asked again, a switch that failed is retried
 */
public record DiscoveryProperties(Duration debounce, Duration emptyGrace, Duration resync) {

    /** {@code moemesh.router.discovery-debounce} unless set. */
    public static final String DEFAULT_DEBOUNCE = "500ms";
    /** {@code moemesh.router.discovery-empty-grace} unless set. */
    public static final String DEFAULT_EMPTY_GRACE = "30s";
    /** {@code moemesh.router.discovery-resync} unless set. */
    public static final String DEFAULT_RESYNC = "30s";

    public DiscoveryProperties {
        if (debounce.isNegative() || emptyGrace.isNegative()) {
            throw new IllegalArgumentException("discovery debounce and empty grace must not be negative, got "
                    + debounce + " and " + emptyGrace);
        }
        if (resync.isNegative() || resync.isZero()) {
            throw new IllegalArgumentException("discovery resync must be positive, got " + resync);
        }
    }

    /** Every default, as a router started without these settings has them. */
    public static DiscoveryProperties defaults() {
        return new DiscoveryProperties(DurationStyle.detectAndParse(DEFAULT_DEBOUNCE),
                DurationStyle.detectAndParse(DEFAULT_EMPTY_GRACE), DurationStyle.detectAndParse(DEFAULT_RESYNC));
    }
}
