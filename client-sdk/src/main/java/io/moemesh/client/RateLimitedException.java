package io.moemesh.client;

import io.grpc.Status;

/** RESOURCE_EXHAUSTED: The API key's rate limit or the deployment's capacity was exceeded. Wait before sending again, with backoff. */
public class RateLimitedException extends MoeMeshException {

    private static final long serialVersionUID = 1L;

    public RateLimitedException(String description, Throwable cause) {
        super(Status.Code.RESOURCE_EXHAUSTED, description, cause);
    }
}
