package io.moemesh.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.moemesh.client.internal.TlsFailures;
import io.moemesh.proto.status.RetryInfoDetail;

/**
 * A call to moe-mesh failed. The message is the status code followed by the server's description,
 * which says what was wrong ({@code INVALID_ARGUMENT: sampling.top_p must be in [0, 1], got 1.5}).
 *
 * <p>Subclasses name the failures a caller handles differently; any other status code (for example
 * INTERNAL or CANCELLED) arrives as this base class. Use {@link #code()} to tell them apart.
 */
public class MoeMeshException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;
    private final String description;

    public MoeMeshException(Status.Code code, String description, Throwable cause) {
        super(code + ": " + (description == null || description.isEmpty() ? "(no description)" : description), cause);
        this.code = code;
        this.description = description == null ? "" : description;
    }

    /** The gRPC status code the call ended with. */
    public Status.Code code() {
        return code;
    }

    /** The server's description of the failure, without the code; empty when it sent none. */
    public String description() {
        return description;
    }

    /** The exception for a status: the subclass that names the failure, or this base class. */
    public static MoeMeshException of(Status status) {
        return of(status, null);
    }

    /**
     * The exception for a status and the trailers it came with (null for none): the subclass that names
     * the failure, or this base class. A {@link RateLimitedException} takes its
     * {@link RateLimitedException#retryAfter()} from a {@code google.rpc.RetryInfo} detail in the trailers.
     */
    public static MoeMeshException of(Status status, Metadata trailers) {
        String tlsFailure = TlsFailures.describe(status);
        String description = tlsFailure != null ? tlsFailure : status.getDescription();
        Throwable cause = status.getCause();
        return switch (status.getCode()) {
            case INVALID_ARGUMENT -> new InvalidRequestException(description, cause);
            case UNAUTHENTICATED -> new UnauthenticatedException(description, cause);
            case RESOURCE_EXHAUSTED -> new RateLimitedException(description, cause,
                    RetryInfoDetail.retryDelay(status, trailers).orElse(null));
            case UNAVAILABLE -> new UnavailableException(description, cause);
            case DEADLINE_EXCEEDED -> new DeadlineExceededException(description, cause);
            default -> new MoeMeshException(status.getCode(), description, cause);
        };
    }

    /** The exception for anything a gRPC call threw: its status, or INTERNAL for a failure outside gRPC. */
    public static MoeMeshException of(Throwable error) {
        if (error instanceof MoeMeshException known) {
            return known;
        }
        if (error instanceof StatusRuntimeException || error instanceof StatusException) {
            return of(Status.fromThrowable(error).withCause(error), Status.trailersFromThrowable(error));
        }
        return of(Status.INTERNAL.withDescription("client-side failure: " + error).withCause(error));
    }
}
