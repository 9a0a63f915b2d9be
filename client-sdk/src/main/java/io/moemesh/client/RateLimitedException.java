package io.moemesh.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;

/**
 * RESOURCE_EXHAUSTED: The API key's rate limit or the deployment's capacity was exceeded. Wait before
 * sending again: {@link #retryAfter()} when the server said how long, otherwise with backoff.
 */
public class RateLimitedException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    public RateLimitedException(String description, Throwable cause) {
        this(description, cause, null);
    }

    /** {@code retryAfter}: how long the server asked to wait, or null when it did not say. */
    public RateLimitedException(String description, Throwable cause, Duration retryAfter) {
        super(Status.Code.RESOURCE_EXHAUSTED, description, cause);
        this.retryAfter = retryAfter;
    }

    /**
     * How long the server asked the caller to wait before sending again: the {@code google.rpc.RetryInfo}
     * detail of its refusal (the gateway sends one with a rate-limit refusal); empty when it sent none,
     * or a delay that is negative, malformed or over a day ({@code RetryInfoDetail.MAX_DELAY}).
     */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
