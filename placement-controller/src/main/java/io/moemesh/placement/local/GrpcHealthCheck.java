package io.moemesh.placement.local;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Asks {@code grpc.health.v1.Health/Check} (the whole server, empty service name) over a channel
 * made like the controller's expert channels (internal TLS and token when configured), with a
 * deadline; one channel per check, shut down afterwards.
 */
public final class GrpcHealthCheck implements HealthCheck {

    private final Function<String, ManagedChannel> channels;
    private final Duration deadline;

    public GrpcHealthCheck(Function<String, ManagedChannel> channels, Duration deadline) {
        this.channels = channels;
        this.deadline = deadline;
    }

    @Override
    public boolean serving(String target) {
        ManagedChannel channel = channels.apply(target);
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            return false;
        } finally {
            channel.shutdownNow();
        }
    }
}
