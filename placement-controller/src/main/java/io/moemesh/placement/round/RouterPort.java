package io.moemesh.placement.round;

import io.moemesh.core.routing.RoutingStats;
import java.util.List;

/** What the controller needs from one router. */
public interface RouterPort {

    /** The router's address, for messages. */
    String name();

    /** Routing statistics over the router's sliding window. */
    RoutingStats stats();

    /** The router's cumulative dispatch counters. */
    Traffic traffic();

    /** The expert endpoints the router sends work to, as they last described themselves to it. */
    List<EndpointView> endpoints();

    /**
     * Makes the router ask its endpoints what they host and switch to that; returns once no layer
     * step of the previous routing is still running, with the router's view after the refresh (an
     * endpoint that did not answer keeps its previous description there).
     */
    List<EndpointView> refresh();
}
