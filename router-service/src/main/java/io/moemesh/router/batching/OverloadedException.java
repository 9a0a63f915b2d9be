package io.moemesh.router.batching;

/** The admission queue is full; the caller should back off (gRPC RESOURCE_EXHAUSTED). */
public final class OverloadedException extends RuntimeException {

    public OverloadedException(String message) {
        super(message);
    }
}
