package io.moemesh.router.grpc;

import io.grpc.stub.StreamObserver;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import io.moemesh.router.batching.SchedulerStats;
import io.moemesh.router.dispatch.EndpointCallStats;
import io.moemesh.router.dispatch.RemoteExperts;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Serves the router's sliding-window routing statistics (the placement controller's input) and its
 * cumulative traffic to expert endpoints (the benchmark's calls and bytes per token per layer), in
 * total and per endpoint (the dashboard's latency and errors), and its scheduler's counters.
 */
public final class RoutingStatsGrpcService extends RoutingStatsGrpc.RoutingStatsImplBase {

    private final RoutingStatsWindow window;
    private final Supplier<Optional<RemoteExperts.Traffic>> traffic;
    private final Optional<SchedulerStats> scheduler;
    private final Supplier<List<EndpointCallStats.Snapshot>> endpointCalls;

    /**
     * @param traffic the dispatch's counters; empty when the experts run in process, and the snapshot
     *                then leaves {@code traffic} unset
     */
    public RoutingStatsGrpcService(RoutingStatsWindow window, Supplier<Optional<RemoteExperts.Traffic>> traffic) {
        this(window, traffic, Optional.empty());
    }

    /** @param scheduler the batch scheduler's counters, reported as {@code scheduler} (its time per step) */
    public RoutingStatsGrpcService(RoutingStatsWindow window, Supplier<Optional<RemoteExperts.Traffic>> traffic,
            Optional<SchedulerStats> scheduler) {
        this(window, traffic, scheduler, List::of);
    }

    /** @param endpointCalls per expert endpoint the router routes to now, its calls ({@code endpoint_calls}) */
    public RoutingStatsGrpcService(RoutingStatsWindow window, Supplier<Optional<RemoteExperts.Traffic>> traffic,
            Optional<SchedulerStats> scheduler, Supplier<List<EndpointCallStats.Snapshot>> endpointCalls) {
        this.window = window;
        this.traffic = traffic;
        this.scheduler = scheduler;
        this.endpointCalls = endpointCalls;
    }

    @Override
    public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> response) {
        RoutingStatsSnapshot.Builder snapshot = RoutingStatsCodec.encode(window.snapshot()).toBuilder();
        traffic.get().ifPresent(t -> snapshot.setTraffic(toProto(t)));
        scheduler.ifPresent(s -> snapshot.setScheduler(SchedulerTiming.newBuilder().setSteps(s.steps())
                .setStepNanos(s.stepNanos()).setForwardNanos(s.forwardNanos()).setTokens(s.forwardTokens())
                .setGeneratedTokens(s.generatedTokens()).setDegradedTokens(s.degradedTokens())));
        endpointCalls.get().forEach(e -> snapshot.addEndpointCalls(toProto(e)));
        response.onNext(snapshot.build());
        response.onCompleted();
    }

    static EndpointCalls toProto(EndpointCallStats.Snapshot e) {
        return EndpointCalls.newBuilder().setEndpoint(e.endpoint().id()).setTarget(e.endpoint().target())
                .setCalls(e.calls()).setFailedCalls(e.failedCalls()).setRefusedCalls(e.refusedCalls())
                .setUnitTokens(e.unitTokens())
                .setLatencyNanos(e.latencyNanos())
                .addAllLatencyMicrosBounds(Arrays.stream(e.latency().boundsMicros()).boxed().toList())
                .addAllLatencyMicrosCounts(Arrays.stream(e.latency().counts()).boxed().toList())
                .setAccepting(e.accepting())
                .build();
    }

    static DispatchTraffic toProto(RemoteExperts.Traffic t) {
        return DispatchTraffic.newBuilder().setExpertCalls(t.calls()).setTokenSends(t.tokenSends())
                .setTokenLayers(t.tokenLayers()).setBytesSent(t.bytesSent()).setBytesReceived(t.bytesReceived())
                .setLayerSteps(t.layerSteps()).setFailedCalls(t.failedCalls())
                .addAllStepMicrosBounds(Arrays.stream(t.stepTimes().boundsMicros()).boxed().toList())
                .addAllStepMicrosCounts(Arrays.stream(t.stepTimes().counts()).boxed().toList())
                .setStepNanos(t.phases().stepNanos()).setSendNanos(t.phases().sendNanos())
                .setWaitNanos(t.phases().waitNanos()).setMergeNanos(t.phases().mergeNanos())
                .setSlowestServerNanos(t.phases().slowestServerNanos())
                .build();
    }
}
