package io.moemesh.router.dispatch;

import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;

/**
 * How the router talks to expert endpoints.
 *
 * @param callTimeout      deadline of one Compute call (a retry on another replica gets a fresh one)
 * @param wireDtype        dtype of hidden states sent to experts (outputs always come back F32)
 * @param breakerWindow    calls the circuit breaker of an endpoint looks back over
 * @param breakerFailureRate percentage of failed calls in the window that opens the breaker
 * @param breakerOpenFor   how long an open breaker keeps traffic away before it lets a trial call through
 * @param maxConcurrentCalls Compute calls one endpoint may have in flight (its bulkhead); a call over the
 *                         limit is refused at once and its tokens go to another replica, or are routed
 *                         around. A refusal is not a breaker failure: the endpoint is busy, not broken
 * @param transport        unary calls, or messages on one long-lived stream per endpoint
 */
public record DispatchProperties(Duration callTimeout, DType wireDtype, int breakerWindow, float breakerFailureRate,
        Duration breakerOpenFor, int maxConcurrentCalls, ExpertTransport transport) {

    /** The transport the router uses unless told otherwise. */
    public static final ExpertTransport DEFAULT_TRANSPORT = ExpertTransport.STREAM;

    /** With the default transport. */
    public DispatchProperties(Duration callTimeout, DType wireDtype, int breakerWindow, float breakerFailureRate,
            Duration breakerOpenFor, int maxConcurrentCalls) {
        this(callTimeout, wireDtype, breakerWindow, breakerFailureRate, breakerOpenFor, maxConcurrentCalls,
                DEFAULT_TRANSPORT);
    }

    public DispatchProperties {
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("callTimeout must be positive, got " + callTimeout);
        }
        if (wireDtype != DType.DTYPE_BF16 && wireDtype != DType.DTYPE_F32) {
            throw new IllegalArgumentException("wireDtype must be DTYPE_BF16 or DTYPE_F32, got " + wireDtype);
        }
        if (breakerWindow < 1 || !(breakerFailureRate > 0 && breakerFailureRate <= 100)) {
            throw new IllegalArgumentException("breakerWindow must be >= 1 and breakerFailureRate in (0, 100]");
        }
        if (transport == null) {
            throw new IllegalArgumentException("transport must be UNARY or STREAM, got null");
        }
        if (maxConcurrentCalls < 1) {
            throw new IllegalArgumentException("maxConcurrentCalls must be >= 1, got " + maxConcurrentCalls);
        }
    }

    /** The same settings with another transport. */
    public DispatchProperties withTransport(ExpertTransport other) {
        return new DispatchProperties(callTimeout, wireDtype, breakerWindow, breakerFailureRate, breakerOpenFor,
                maxConcurrentCalls, other);
    }

    public static DispatchProperties defaults() {
        return new DispatchProperties(Duration.ofSeconds(5), DType.DTYPE_F32, 10, 50f, Duration.ofSeconds(5), 64);
    }
}
