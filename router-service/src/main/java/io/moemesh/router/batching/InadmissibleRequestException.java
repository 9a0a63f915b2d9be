package io.moemesh.router.batching;

/**
 * A request that could never run here, however long it waited: its prompt leaves no room in the
 * model's context, or its KV cache needs more than the whole budget. Its message is written for
 * the client (gRPC INVALID_ARGUMENT); other IllegalArgumentExceptions are bugs and are not shown
 * to clients.
 */
public final class InadmissibleRequestException extends IllegalArgumentException {

    public InadmissibleRequestException(String message) {
        super(message);
    }
}
