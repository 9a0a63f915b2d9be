package io.moemesh.placement.grpc;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.ReleaseRetiredUnitsRequest;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import java.time.Duration;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Expert endpoints over gRPC, one channel per target, opened on first use. */
public final class ExpertClient implements ExpertPort, AutoCloseable {

    private final Function<String, ManagedChannel> channels;
    private final Duration timeout;
    private final Map<String, ManagedChannel> open = new ConcurrentHashMap<>();

    /** @param timeout deadline of one call; loading and warming new units happens within it */
    public ExpertClient(Function<String, ManagedChannel> channels, Duration timeout) {
        this.channels = channels;
        this.timeout = timeout;
    }

    @Override
    public EndpointView describe(String target) {
        try {
            return ProtoMapping.endpoint(target, stub(target).describe(DescribeRequest.getDefaultInstance()));
        } catch (StatusRuntimeException e) {
            throw failure(target, "Describe", e);
        }
    }

    @Override
    public EndpointView setPartners(String target, SortedSet<Unit> partners) {
        try {
            return ProtoMapping.endpoint(target, stub(target).setPartnerUnits(SetPartnerUnitsRequest.newBuilder()
                    .addAllPartnerUnits(ProtoMapping.units(partners)).build()));
        } catch (StatusRuntimeException e) {
            throw failure(target, "SetPartnerUnits", e);
        }
    }

    @Override
    public EndpointView releaseRetired(String target) {
        try {
            return ProtoMapping.endpoint(target, stub(target).releaseRetiredUnits(
                    ReleaseRetiredUnitsRequest.getDefaultInstance()));
        } catch (StatusRuntimeException e) {
            throw failure(target, "ReleaseRetiredUnits", e);
        }
    }

    private ExpertGrpc.ExpertBlockingStub stub(String target) {
        return ExpertGrpc.newBlockingStub(open.computeIfAbsent(target, channels))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static IllegalStateException failure(String target, String method, StatusRuntimeException e) {
        return new IllegalStateException("expert endpoint " + target + " " + method + ": " + e.getStatus().getCode()
                + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()), e);
    }

    @Override
    public void close() {
        open.values().forEach(ManagedChannel::shutdownNow);
    }
}
