package io.moemesh.router.dispatch;

import java.util.List;

/**
 * What a layer step routes by: the endpoints it may call and which units each hosts. Endpoint
 * {@code i} of the topology is {@code clients.get(i)}; the two are replaced together, so a step never
 * sees an index from one endpoint set applied to another.
 */
record Routing(List<ExpertClient> clients, ExpertTopology topology) {

    Routing {
        clients = List.copyOf(clients);
    }

    /** The same clients, asked again what they host (see {@link ExpertTopology#rediscover}). */
    Routing rediscover() {
        return new Routing(clients, topology.rediscover(clients));
    }

    /**
     * Whether both send every unit to the same endpoints: the same clients (by identity: a client
     * replaced for a new target is another endpoint) hosting the same units.
     */
    boolean routesLike(Routing other) {
        return clients.equals(other.clients) && topology.routesLike(other.topology);
    }
}
