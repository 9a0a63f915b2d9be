package io.moemesh.router.discovery;

import io.moemesh.router.dispatch.ExpertEndpoint;
import java.util.List;

/**
 * Where the expert endpoints are, and news when that changes. A fixed list comes from configuration
 * ({@link #fixed(List)}); local mode ({@code moe up}) lists them in a file that it and the placement
 * controller rewrite ({@code discovery.file}); on Kubernetes they come from the EndpointSlices of the
 * expert Services ({@code discovery.kubernetes}). The router then asks each endpoint what it hosts
 * ({@code Describe}).
 *
 * <p>Discovery is level-based: each call of the listener carries the complete set as discovery knows
 * it now, never a difference, so a listener loses nothing by acting on the newest set only.
 */
public interface ExpertDiscovery {

    /**
     * Starts discovering. The listener is called with the complete set once discovery knows it (for
     * Kubernetes: once the first list has been read, even if it is empty) and then whenever it may
     * have changed; calls never overlap. A discovery has one subscriber.
     *
     * @return closing it stops discovery; the listener is not called after {@code close} returns
     */
    Subscription subscribe(Listener listener);

    @FunctionalInterface
    interface Listener {

        /** @param endpoints every endpoint discovery knows now, ids unique, in a stable order */
        void onEndpoints(List<ExpertEndpoint> endpoints);
    }

    /** A running discovery. */
    interface Subscription extends AutoCloseable {

        /** Nothing to stop: for discovery that delivered everything when it was subscribed to. */
        Subscription NONE = () -> {
        };

        @Override
        void close();
    }

    /** A fixed list of {@code host:port} targets, each its own id: delivered once, at subscription. */
    static ExpertDiscovery fixed(List<String> targets) {
        List<ExpertEndpoint> endpoints = targets.stream().map(t -> new ExpertEndpoint(t, t)).toList();
        return listener -> {
            listener.onEndpoints(endpoints);
            return Subscription.NONE;
        };
    }
}
