package io.moemesh.placement.grpc;

import io.moemesh.proto.codec.RoutingStatsCodec;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.proto.internal.v1.SetPrunedExpertsRequest;
import io.moemesh.core.placement.Unit;
import io.moemesh.proto.internal.v1.RefreshExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** One router, over gRPC: its statistics, its endpoints, and the refresh that switches its routing. */
public final class RouterClient implements RouterPort, AutoCloseable {

    private final String target;
    private final ManagedChannel channel;
    private final Duration timeout;
    private final Duration refreshTimeout;

    /**
     * @param refreshTimeout deadline of a refresh, which waits for the steps of the old routing to
     *                       finish: give it more than the router's expert call timeout
     */
    public RouterClient(String target, ManagedChannel channel, Duration timeout, Duration refreshTimeout) {
        this.target = target;
        this.channel = channel;
        this.timeout = timeout;
        this.refreshTimeout = refreshTimeout;
    }

    /**
     * The same router over the same channel with another deadline for its reads (the dashboard's,
     * shorter than a planning round's). It shares the channel: closing this client closes it.
     */
    public RouterClient withDeadline(Duration readTimeout) {
        return new RouterClient(target, channel, readTimeout, refreshTimeout);
    }

    @Override
    public String name() {
        return target;
    }

    @Override
    public Reading read() {
        return call("GetRoutingStats", () -> reading(target,
                statsStub().getRoutingStats(GetRoutingStatsRequest.getDefaultInstance())));
    }

    /**
     * A snapshot as the controller reads it: a peer's malformed or out-of-bounds snapshot is refused
     * whole, naming the router.
     *
     * @throws IllegalStateException naming the router and what is wrong
     */
    public static Reading reading(String target, RoutingStatsSnapshot s) {
        try {
            return new Reading(RoutingStatsCodec.decode(s), ProtoMapping.traffic(s.getTraffic()),
                    ProtoMapping.counters(s));
        } catch (IllegalStateException refused) {
            throw new IllegalStateException("router " + target + " sent statistics the controller refuses: "
                    + refused.getMessage(), refused);
        }
    }

    @Override
    public List<EndpointView> endpoints() {
        return call("GetExpertEndpoints", () -> views(ExpertEndpointsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance())));
    }

    @Override
    public List<EndpointView> refresh() {
        return call("RefreshExpertEndpoints", () -> views(ExpertEndpointsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(refreshTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance())));
    }

    @Override
    public SortedSet<Unit> pruned() {
        return call("GetExpertEndpoints", () -> pruned(ExpertEndpointsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance())));
    }

    /** Waits for the router's in-flight layer steps like a refresh does, so it gets the refresh deadline. */
    @Override
    public SortedSet<Unit> setPruned(SortedSet<Unit> units, String reason) {
        SetPrunedExpertsRequest.Builder request = SetPrunedExpertsRequest.newBuilder().setReason(reason);
        units.forEach(u -> request.addUnits(PrunedUnit.newBuilder().setLayer(u.layer()).setExpert(u.expert())));
        return call("SetPrunedExperts", () -> pruned(ExpertEndpointsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(refreshTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .setPrunedExperts(request.build())));
    }

    private static SortedSet<Unit> pruned(ExpertEndpointsState state) {
        SortedSet<Unit> units = new TreeSet<>();
        state.getPrunedList().forEach(u -> units.add(new Unit(u.getLayer(), u.getExpert())));
        return units;
    }

    private static List<EndpointView> views(ExpertEndpointsState state) {
        return state.getEndpointsList().stream().filter(ExpertEndpointState::hasDescription)
                .map(e -> ProtoMapping.endpoint(e.getTarget(), e.getDescription())).toList();
    }

    private RoutingStatsGrpc.RoutingStatsBlockingStub statsStub() {
        return RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T call(String method, Supplier<T> body) {
        try {
            return body.get();
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("router " + target + " " + method + ": " + e.getStatus().getCode()
                    + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()), e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
