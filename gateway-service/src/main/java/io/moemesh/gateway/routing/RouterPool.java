package io.moemesh.gateway.routing;

import io.grpc.ManagedChannelBuilder;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The routers this gateway forwards to. Picks the one with the fewest calls in flight; among equals
 * it rotates, so an idle pool spreads requests round-robin instead of sending all to the first. On
 * Kubernetes the pool usually holds one entry, the headless router Service as {@code dns:///…},
 * whose channel spreads calls over every router pod (docs/kubernetes.md, "Router fan-in").
 */
public final class RouterPool implements AutoCloseable {

    /** The scheme of a router target whose every DNS address is a router (a headless Service). */
    public static final String DNS_SCHEME = "dns:///";

    private final List<RouterClient> routers;
    private final AtomicInteger rotation = new AtomicInteger();

    public RouterPool(List<RouterClient> routers) {
        if (routers.isEmpty()) {
            throw new IllegalArgumentException("a router pool needs at least one router");
        }
        this.routers = List.copyOf(routers);
    }

    /**
     * One channel per configured router target, from the builders {@code channels} makes: the
     * gateway calls routers as an internal client (service-support's InternalChannelFactory: TLS
     * verified against {@code moemesh.tls.ca-file} when set, the internal token when configured).
     * A {@code dns:///host:port} target (the chart's headless router Service) spreads its calls over
     * every address the name resolves to ({@link #spreadOverAddresses}); a plain {@code host:port}
     * is one router, as in local mode.
     */
    public static RouterPool connect(List<String> targets, Function<String, ManagedChannelBuilder<?>> channels) {
        return new RouterPool(targets.stream()
                .map(target -> new RouterClient(target, spreadOverAddresses(target, channels.apply(target)).build()))
                .toList());
    }

    /**
     * For a {@code dns:///} target, gRPC's {@code round_robin} policy: one connection to every
     * address the name resolves to (every ready router pod behind a headless Service) and calls
     * rotated over the connected ones, instead of {@code pick_first}'s one connection to the first.
     * gRPC resolves the name again when a connection is lost or closed (a router pod goes, or its
     * server's {@code max-connection-age} ends the connection), so routers added later are found
     * then. Other targets keep gRPC's default.
     */
    static ManagedChannelBuilder<?> spreadOverAddresses(String target, ManagedChannelBuilder<?> builder) {
        return target.startsWith(DNS_SCHEME) ? builder.defaultLoadBalancingPolicy("round_robin") : builder;
    }

    public List<RouterClient> routers() {
        return routers;
    }

    /**
     * The least-loaded router not in {@code excluded}; when every router is excluded, a
     * {@code dns:///} entry all the same (its channel holds every router pod, and its next pick is the
     * next pod in rotation, so a failover from a draining pod usually reaches one that serves; a pod
     * that has sent GOAWAY is not picked at all), or null when there is none. The caller bounds its
     * attempts.
     */
    public RouterClient pick(Collection<RouterClient> excluded) {
        RouterClient best = leastLoaded(excluded);
        return best != null ? best : leastLoaded(routers.stream().filter(r -> !spreads(r)).toList());
    }

    private RouterClient leastLoaded(Collection<RouterClient> excluded) {
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

    private static boolean spreads(RouterClient router) {
        return router.target().startsWith(DNS_SCHEME);
    }

    @Override
    public void close() {
        routers.forEach(RouterClient::close);
    }
}
