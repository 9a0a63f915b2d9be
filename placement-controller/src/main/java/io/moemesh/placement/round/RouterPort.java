package io.moemesh.placement.round;

import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

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

    /**
     * The units the router's gate may not choose now (planned pruning; GetExpertEndpoints). A port
     * that cannot prune (the controller's tests of other features) reports none.
     */
    default SortedSet<Unit> pruned() {
        return new TreeSet<>();
    }

    /**
     * Replaces the router's pruned set (SetPrunedExperts); returns once no layer step that started
     * before the call is still running, so no token goes to a pruned unit afterwards.
     *
     * @return the set the router now prunes
     */
    default SortedSet<Unit> setPruned(SortedSet<Unit> units, String reason) {
        throw new UnsupportedOperationException("router " + name() + " does not support SetPrunedExperts");
    }
}
