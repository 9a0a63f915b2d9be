package io.moemesh.router.dispatch;

import io.moemesh.proto.internal.v1.DType;
import java.time.Duration;
import java.util.Locale;
import org.springframework.boot.convert.DurationStyle;

/**
 * How the router talks to expert endpoints. Bound flat from {@code moemesh.router.*} (see
 * {@code RouterProperties}); the defaults live here once, as the property text that
 * {@code RouterProperties}' {@code @DefaultValue}s name and {@link #builder()} starts from.
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

    /** {@code moemesh.router.expert-call-timeout} unless set. */
    public static final String DEFAULT_CALL_TIMEOUT = "5s";
    /** {@code moemesh.router.wire-dtype} unless set. */
    public static final String DEFAULT_WIRE_DTYPE = "F32";
    /** {@code moemesh.router.breaker-window} unless set. */
    public static final int DEFAULT_BREAKER_WINDOW = 10;
    /** {@code moemesh.router.breaker-failure-rate} unless set. */
    public static final int DEFAULT_BREAKER_FAILURE_RATE = 50;
    /** {@code moemesh.router.breaker-open-for} unless set. */
    public static final String DEFAULT_BREAKER_OPEN_FOR = "5s";
    /** {@code moemesh.router.expert-max-concurrent-calls} unless set. */
    public static final int DEFAULT_MAX_CONCURRENT_CALLS = 64;
    /** {@code moemesh.router.expert-transport} unless set. */
    public static final String DEFAULT_TRANSPORT_NAME = "stream";
    /** The transport the router uses unless told otherwise. */
    public static final ExpertTransport DEFAULT_TRANSPORT =
            ExpertTransport.valueOf(DEFAULT_TRANSPORT_NAME.toUpperCase(Locale.ROOT));

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

    /**
     * The wire dtype a {@code moemesh.router.wire-dtype} value names ({@code F32} or {@code BF16}, any case).
     *
     * @throws IllegalArgumentException naming the property, for any other value
     */
    public static DType wireDtype(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "F32" -> DType.DTYPE_F32;
            case "BF16" -> DType.DTYPE_BF16;
            default -> throw new IllegalArgumentException("moemesh.router.wire-dtype must be F32 or BF16, got " + name);
        };
    }

    /** The same settings with another transport. */
    public DispatchProperties withTransport(ExpertTransport other) {
        return toBuilder().transport(other).build();
    }

    /** Every default, as a router started without these settings has them. */
    public static DispatchProperties defaults() {
        return builder().build();
    }

    /** A builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these settings. */
    public Builder toBuilder() {
        return new Builder().callTimeout(callTimeout).wireDtype(wireDtype).breakerWindow(breakerWindow)
                .breakerFailureRate(breakerFailureRate).breakerOpenFor(breakerOpenFor)
                .maxConcurrentCalls(maxConcurrentCalls).transport(transport);
    }

    /** Settings by name, for tests and tools; {@link #build()} checks them as the constructor does. */
    public static final class Builder {
        private Duration callTimeout = DurationStyle.detectAndParse(DEFAULT_CALL_TIMEOUT);
        private DType wireDtype = DispatchProperties.wireDtype(DEFAULT_WIRE_DTYPE);
        private int breakerWindow = DEFAULT_BREAKER_WINDOW;
        private float breakerFailureRate = DEFAULT_BREAKER_FAILURE_RATE;
        private Duration breakerOpenFor = DurationStyle.detectAndParse(DEFAULT_BREAKER_OPEN_FOR);
        private int maxConcurrentCalls = DEFAULT_MAX_CONCURRENT_CALLS;
        private ExpertTransport transport = DEFAULT_TRANSPORT;

        private Builder() {
        }

        public Builder callTimeout(Duration value) {
            callTimeout = value;
            return this;
        }

        public Builder wireDtype(DType value) {
            wireDtype = value;
            return this;
        }

        public Builder breakerWindow(int value) {
            breakerWindow = value;
            return this;
        }

        public Builder breakerFailureRate(float value) {
            breakerFailureRate = value;
            return this;
        }

        public Builder breakerOpenFor(Duration value) {
            breakerOpenFor = value;
            return this;
        }

        public Builder maxConcurrentCalls(int value) {
            maxConcurrentCalls = value;
            return this;
        }

        public Builder transport(ExpertTransport value) {
            transport = value;
            return this;
        }

        public DispatchProperties build() {
            return new DispatchProperties(callTimeout, wireDtype, breakerWindow, breakerFailureRate, breakerOpenFor,
                    maxConcurrentCalls, transport);
        }
    }
}
