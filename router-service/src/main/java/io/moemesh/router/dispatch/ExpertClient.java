package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.ManagedChannel;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Outbound calls to one expert endpoint, guarded by that endpoint's circuit breaker. */
final class ExpertClient implements AutoCloseable {

    private final ExpertEndpoint endpoint;
    private final ManagedChannel channel;
    private final CircuitBreaker breaker;
    private final Duration timeout;

    ExpertClient(ExpertEndpoint endpoint, ManagedChannel channel, DispatchProperties properties) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.timeout = properties.callTimeout();
        this.breaker = CircuitBreaker.of(endpoint.id(), CircuitBreakerConfig.custom()
                .slidingWindowSize(properties.breakerWindow())
                .minimumNumberOfCalls(Math.min(2, properties.breakerWindow()))
                .failureRateThreshold(properties.breakerFailureRate())
                .waitDurationInOpenState(properties.breakerOpenFor())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    ExpertEndpoint endpoint() {
        return endpoint;
    }

    DescribeResponse describe() {
        return ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .describe(DescribeRequest.getDefaultInstance());
    }

    /** Whether the breaker lets traffic through (closed, or half-open and waiting for a trial call). */
    boolean accepting() {
        return breaker.getState() != CircuitBreaker.State.OPEN && breaker.getState() != CircuitBreaker.State.FORCED_OPEN;
    }

    /** Starts a call, or returns null when the breaker refuses it. */
    ListenableFuture<ComputeResponse> compute(ComputeRequest request) {
        if (!breaker.tryAcquirePermission()) {
            return null;
        }
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .compute(request);
    }

    void succeeded(long nanos) {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    }

    void failed(long nanos, Throwable error) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
    }

    CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
