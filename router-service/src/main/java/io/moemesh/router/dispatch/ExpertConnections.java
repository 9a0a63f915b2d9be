package io.moemesh.router.dispatch;

import io.grpc.ManagedChannel;
import java.util.function.Function;

/**
 * How the router opens the client of an expert endpoint, at start and for each endpoint that
 * {@link RemoteExperts#reconcile} adds later: the channel to it, and the call limits that every
 * endpoint's client shares.
 *
 * @param channels   opens the channel to an endpoint
 * @param properties deadlines, bulkhead and breaker settings
 */
record ExpertConnections(Function<ExpertEndpoint, ManagedChannel> channels, DispatchProperties properties) {

    ExpertClient open(ExpertEndpoint endpoint) {
        return new ExpertClient(endpoint, channels.apply(endpoint), properties);
    }
}
