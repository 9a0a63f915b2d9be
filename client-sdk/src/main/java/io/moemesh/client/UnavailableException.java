package io.moemesh.client;

import io.grpc.Status;

/** UNAVAILABLE: No server could take the call (gateway or routers down, or connection lost). A generation that already streamed chunks was interrupted part-way. */
public class UnavailableException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    public UnavailableException(String description, Throwable cause) {
        super(Status.Code.UNAVAILABLE, description, cause);
    }
}
