package io.moemesh.expert.compute;

import io.moemesh.expert.batching.RejectedWorkException;

/**
 * A compute request that cannot be (or was not) answered, with a message a caller can act on.
 * The kinds are the gRPC status codes the inbound adapter answers with.
 */
public final class ComputeException extends RuntimeException {

    public enum Kind {
        INVALID_ARGUMENT,
        NOT_FOUND,
        RESOURCE_EXHAUSTED,
        DEADLINE_EXCEEDED,
        CANCELLED,
        UNAVAILABLE,
        INTERNAL
    }

    private static final long serialVersionUID = 1L;

    private final Kind kind;

    public ComputeException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public static ComputeException invalidArgument(String message) {
        return new ComputeException(Kind.INVALID_ARGUMENT, message);
    }

    static ComputeException from(RejectedWorkException rejected) {
        Kind kind = switch (rejected.reason()) {
            case QUEUE_FULL -> Kind.RESOURCE_EXHAUSTED;
            case DEADLINE_EXCEEDED -> Kind.DEADLINE_EXCEEDED;
            case CANCELLED -> Kind.CANCELLED;
            case SHUTTING_DOWN -> Kind.UNAVAILABLE;
            case FAILED -> Kind.INTERNAL;
        };
        return new ComputeException(kind, rejected.getMessage());
    }

    public Kind kind() {
        return kind;
    }
}
