package io.moemesh.gateway.access;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;

/**
 * A per-caller limit refuses a request: RESOURCE_EXHAUSTED when waiting helps, INVALID_ARGUMENT when
 * the request could never fit. The message names the limit and is meant for the caller. When the
 * wait is known, the status also carries a standard {@code google.rpc.RetryInfo} detail (in the
 * {@code grpc-status-details-bin} trailer) with that wait, which clients read instead of the prose,
 * and which the OpenAI-compatible API turns into {@code Retry-After}.
 */
public final class LimitExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;
    /** Nanoseconds until the request could pass; -1 when unknown. */
    private final long retryAfterNanos;

    /** A refusal with no known wait: its status carries no RetryInfo. */
    public LimitExceededException(Status.Code code, String message) {
        this(code, message, -1);
    }

    /** A refusal that could pass after {@code retryAfter}. */
    public LimitExceededException(Status.Code code, String message, Duration retryAfter) {
        this(code, message, retryAfter.toNanos());
    }

    private LimitExceededException(Status.Code code, String message, long retryAfterNanos) {
        super(message, null, false, false);
        this.code = code;
        this.retryAfterNanos = retryAfterNanos;
    }

    /**
     * {@code wait} in whole seconds, rounded up, at least 1: the form of "retry after Ns" in messages
     * and of HTTP's {@code Retry-After}, so that a caller who waits that long never comes back early.
     */
    public static long wholeSeconds(Duration wait) {
        return Math.max(1, (wait.toNanos() + 999_999_999L) / 1_000_000_000L);
    }

    /**
     * The status with its trailers: the same code and message, and, when the wait is known, a
     * {@code google.rpc.Status} holding one {@code RetryInfo} with that wait. A server closes a call
     * with {@code getStatus()} and {@code getTrailers()} (never null) of the result, or passes it to
     * {@code onError}.
     */
    public StatusRuntimeException toStatusException() {
        if (retryAfterNanos < 0) {
            return Status.fromCode(code).withDescription(getMessage()).asRuntimeException(new Metadata());
        }
        // protobuf's Duration and Status share their names with java.time's and gRPC's
        RetryInfo retry = RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
                .setSeconds(retryAfterNanos / 1_000_000_000L).setNanos((int) (retryAfterNanos % 1_000_000_000L)))
                .build();
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.value())
                .setMessage(getMessage()).addDetails(Any.pack(retry)).build());
    }
}
