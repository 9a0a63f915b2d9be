package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.grpc.ManagedChannel;
import io.moemesh.proto.internal.v1.ComputeRequest;
import io.moemesh.proto.internal.v1.ComputeResponse;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Outbound calls to one expert endpoint, guarded by that endpoint's bulkhead (at most
 * {@code maxConcurrentCalls} Compute calls in flight; a call over the limit is refused at once, never
 * queued, so a layer step does not wait on a busy endpoint) and its circuit breaker (no calls to a
 * failing endpoint). The breaker reads the time from the clock it is given, as resilience4j's
 * {@code CircuitBreakerConfig.clock} allows, so a test moves that clock past an open breaker's wait
 * instead of waiting it out.
 */
final class ExpertClient implements AutoCloseable {

    private final ExpertEndpoint endpoint;
    private final ManagedChannel channel;
    private final Bulkhead bulkhead;
    private final CircuitBreaker breaker;
    private final Duration timeout;
    private final EndpointCallStats calls = new EndpointCallStats();
    /** Null when calls are unary ({@link ExpertTransport#UNARY}). */
    private final ComputeStreamClient stream;

    ExpertClient(ExpertEndpoint endpoint, ManagedChannel channel, DispatchProperties properties, Clock clock) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.timeout = properties.callTimeout();
        this.bulkhead = Bulkhead.of(endpoint.id(), BulkheadConfig.custom()
                .maxConcurrentCalls(properties.maxConcurrentCalls())
                .maxWaitDuration(Duration.ZERO)
                .build());
        this.breaker = CircuitBreaker.of(endpoint.id(), CircuitBreakerConfig.custom()
                .slidingWindowSize(properties.breakerWindow())
                .minimumNumberOfCalls(Math.min(2, properties.breakerWindow()))
                .failureRateThreshold(properties.breakerFailureRate())
                .waitDurationInOpenState(properties.breakerOpenFor())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .permittedNumberOfCallsInHalfOpenState(1)
                .clock(clock)
                .build());
        this.stream = properties.transport() == ExpertTransport.STREAM
                ? new ComputeStreamClient(endpoint.id(), channel, timeout, this::unaryCompute)
                : null;
    }

    ExpertEndpoint endpoint() {
        return endpoint;
    }

    /** Counts of this client's Compute calls (the router's metrics and routing statistics read them). */
    EndpointCallStats calls() {
        return calls;
    }

    /** Asks what the endpoint hosts; the future fails with the call's status, at its deadline at the latest. */
    ListenableFuture<DescribeResponse> describe() {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .describe(DescribeRequest.getDefaultInstance());
    }

    /**
     * Whether the breaker lets traffic through: closed, or half-open and waiting for a trial call.
     * An open breaker whose wait is over on its clock turns half-open here, by taking its trial permit
     * and handing it back for the call; the breaker's own timer would do the same, but on the real
     * time, not on the clock.
     */
    boolean accepting() {
        return switch (breaker.getState()) {
            case OPEN -> trialDue();
            case FORCED_OPEN -> false;
            default -> true;
        };
    }

    private boolean trialDue() {
        if (!breaker.tryAcquirePermission()) {
            return false;
        }
        breaker.releasePermission();
        return true;
    }

    /**
     * Starts a call, or returns null when it is refused: the bulkhead is full or the breaker is open.
     * A refused call was never made, so the caller must not report it to {@link #succeeded} or
     * {@link #failed}. An admitted call holds a bulkhead permit until its future completes, whether
     * it succeeds, fails, passes its deadline or is cancelled.
     */
    ListenableFuture<ComputeResponse> compute(ComputeRequest request) {
        return compute(request, false);
    }

    /**
     * {@link #compute(ComputeRequest)}; a call that must carry the caller's trace context to the
     * endpoint ({@code traced}) is made unary whatever the transport, because the context travels in
     * a call's headers, which the messages of a long-lived stream do not have. Traced layer steps are
     * the sampled few, so what that costs does not show.
     */
    ListenableFuture<ComputeResponse> compute(ComputeRequest request, boolean traced) {
        if (!bulkhead.tryAcquirePermission()) {
            calls.refused();
            return null;
        }
        if (!breaker.tryAcquirePermission()) {
            bulkhead.releasePermission();
            calls.refused();
            return null;
        }
        ListenableFuture<ComputeResponse> call;
        try {
            call = stream != null && !traced ? stream.compute(request) : unaryCompute(request);
        } catch (RuntimeException e) {
            // the breaker permission stays taken: the caller reports this failure like any other
            bulkhead.releasePermission();
            return Futures.immediateFailedFuture(e);
        }
        call.addListener(bulkhead::onComplete, MoreExecutors.directExecutor());
        calls.sent(unitTokens(request));
        return call;
    }

    private ListenableFuture<ComputeResponse> unaryCompute(ComputeRequest request) {
        return ExpertGrpc.newFutureStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .compute(request);
    }

    /** The expert FFN rows a request asks for: per token, one per listed expert. */
    static long unitTokens(ComputeRequest request) {
        long units = 0;
        for (int i = 0; i < request.getRoutesCount(); i++) {
            units += request.getRoutes(i).getExpertsCount();
        }
        return units;
    }

    void succeeded(long nanos) {
        breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        calls.succeeded(nanos);
    }

    void failed(long nanos, Throwable error) {
        breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
        calls.failed(nanos);
    }

    CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    int callsInFlight() {
        Bulkhead.Metrics m = bulkhead.getMetrics();
        return m.getMaxAllowedConcurrentCalls() - m.getAvailableConcurrentCalls();
    }

    /** Why a call may have been refused, for logs and errors: "breaker OPEN, 64 of 64 calls in flight". */
    String limits() {
        return "breaker " + breaker.getState() + ", " + callsInFlight() + " of "
                + bulkhead.getMetrics().getMaxAllowedConcurrentCalls() + " calls in flight";
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
        channel.shutdownNow();
    }
}
