package io.moemesh.router.dispatch;

import java.util.List;

/**
 * Where the expert endpoints are. Local mode lists them in configuration
 * ({@link #fixed(List)}); on Kubernetes they come from the EndpointSlices of the expert Services.
 * The router then asks each endpoint what it hosts ({@code Describe}).
 */
@FunctionalInterface
public interface ExpertDiscovery {

    List<ExpertEndpoint> endpoints();

    /** A fixed list of {@code host:port} targets, each its own id. */
    static ExpertDiscovery fixed(List<String> targets) {
        List<ExpertEndpoint> endpoints = targets.stream().map(t -> new ExpertEndpoint(t, t)).toList();
        return () -> endpoints;
    }
}
