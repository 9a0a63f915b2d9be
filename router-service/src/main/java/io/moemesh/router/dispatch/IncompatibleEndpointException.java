package io.moemesh.router.dispatch;

/**
 * An expert endpoint describes units the router's model cannot use (another hidden size, a unit
 * outside the model): it serves another model. At start-up the router refuses to start; a refresh
 * fails and leaves the topology as it was.
 */
public final class IncompatibleEndpointException extends IllegalStateException {

    public IncompatibleEndpointException(String message) {
        super(message);
    }
}
