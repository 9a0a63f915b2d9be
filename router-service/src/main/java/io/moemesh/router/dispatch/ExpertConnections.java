package io.moemesh.router.dispatch;

import io.grpc.ManagedChannel;
import java.time.Clock;
import java.util.function.Function;

/**
 * How the router opens the client of an expert endpoint, at start and for each endpoint that
 * {@link RemoteExperts#reconcile} adds later: the channel to it, and the call limits and breaker
 * clock that every endpoint's client shares.
 *
 * @param channels   opens the channel to an endpoint
 * @param properties deadlines, bulkhead and breaker settings
 * @param clock      what the breakers read the time from: the system clock, or a test's own
 */
record ExpertConnections(Function<ExpertEndpoint, ManagedChannel> channels, DispatchProperties properties,
        Clock clock) {

    ExpertClient open(ExpertEndpoint endpoint) {
        return new ExpertClient(endpoint, channels.apply(endpoint), properties, clock);
    }
}
