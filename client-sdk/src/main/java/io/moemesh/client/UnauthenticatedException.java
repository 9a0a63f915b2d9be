package io.moemesh.client;

import io.grpc.Status;

/** UNAUTHENTICATED: The API key is missing or not accepted. Check {@code MoeMeshClient.builder().apiKey(...)}. */
public class UnauthenticatedException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    public UnauthenticatedException(String description, Throwable cause) {
        super(Status.Code.UNAUTHENTICATED, description, cause);
    }
}
