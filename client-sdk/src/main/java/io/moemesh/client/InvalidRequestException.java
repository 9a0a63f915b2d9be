package io.moemesh.client;

import io.grpc.Status;

/** INVALID_ARGUMENT: The server rejected the request as invalid; the message names the field. Fix the request: retrying it unchanged fails again. */
public class InvalidRequestException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String description, Throwable cause) {
        super(Status.Code.INVALID_ARGUMENT, description, cause);
    }
}
