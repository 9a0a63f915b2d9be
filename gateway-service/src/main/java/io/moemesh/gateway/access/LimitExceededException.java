package io.moemesh.gateway.access;

import io.grpc.Status;

/**
 * A per-caller limit refuses a request: RESOURCE_EXHAUSTED when waiting helps, INVALID_ARGUMENT when
 * the request could never fit. The message names the limit and is meant for the caller.
 */
public final class LimitExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    public LimitExceededException(Status.Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public Status toStatus() {
        return Status.fromCode(code).withDescription(getMessage());
    }
}
