package io.moemesh.gateway.routing;

import io.grpc.ManagedChannel;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The routers this gateway forwards to. Picks the one with the fewest calls in flight; among equals
 * it rotates, so an idle pool spreads requests round-robin instead of sending all to the first.
 */
public final class RouterPool implements AutoCloseable {

    private final List<RouterClient> routers;
    private final AtomicInteger rotation = new AtomicInteger();

    public RouterPool(List<RouterClient> routers) {
        if (routers.isEmpty()) {
            throw new IllegalArgumentException("a router pool needs at least one router");
        }
        this.routers = List.copyOf(routers);
    }

    /**
     * One channel per router {@code host:port}, made by {@code channels}: the gateway calls routers
     * as an internal client (service-support's InternalChannelFactory: TLS verified against
     * {@code moemesh.tls.ca-file} when set, the internal token when configured).
     */
    public static RouterPool connect(List<String> targets, Function<String, ManagedChannel> channels) {
        return new RouterPool(targets.stream().map(target -> new RouterClient(target, channels.apply(target)))
                .toList());
    }

    public List<RouterClient> routers() {
        return routers;
    }

    /** The least-loaded router not in {@code excluded}, or null when every router is excluded. */
    public RouterClient pick(Collection<RouterClient> excluded) {
        int n = routers.size();
        int start = Math.floorMod(rotation.getAndIncrement(), n);
        RouterClient best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            RouterClient candidate = routers.get((start + i) % n);
            int load = candidate.inFlight();
            if (load < bestLoad && !excluded.contains(candidate)) {
                best = candidate;
                bestLoad = load;
            }
        }
        return best;
    }

    @Override
    public void close() {
        routers.forEach(RouterClient::close);
    }
}
