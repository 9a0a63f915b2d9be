package io.moemesh.router.batching;

/**
 * The scheduler takes no more work: it is draining for shutdown, or its loop died. The request was
 * not admitted, so another router may take it (gRPC UNAVAILABLE, which the gateway fails over on).
 */
public final class SchedulerStoppedException extends RuntimeException {

    public SchedulerStoppedException(String message) {
        super(message);
    }
}
