package io.moemesh.placement.round;

import io.moemesh.core.routing.RoutingStats;
import java.util.List;

/** What the controller needs from one router. */
public interface RouterPort {

    /** The router's address, for messages. */
    String name();

    /**
     * What one GetRoutingStats call returns: the sliding window, the cumulative dispatch counters,
     * and the cumulative token and per-endpoint counters the dashboard turns into rates.
     */
    record Reading(RoutingStats stats, Traffic traffic, RouterCounters counters) {

        public Reading(RoutingStats stats, Traffic traffic) {
            this(stats, traffic, RouterCounters.NONE);
        }
    }

    /** The router's routing statistics over its sliding window, and its dispatch counters. */
    Reading read();

    /** The expert endpoints the router sends work to, as they last described themselves to it. */
    List<EndpointView> endpoints();

    /**
     * Makes the router ask its endpoints what they host and switch to that; returns once no layer
     * step of the previous routing is still running, with the router's view after the refresh (an
     * endpoint that did not answer keeps its previous description there).
     */
    List<EndpointView> refresh();
}
