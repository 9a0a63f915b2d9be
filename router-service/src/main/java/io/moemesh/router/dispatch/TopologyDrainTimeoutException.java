package io.moemesh.router.dispatch;

/**
 * A topology refresh installed the new topology, but layer steps that started on an earlier one were
 * still in flight when it stopped waiting for them: they may still send by the old routing, so units
 * the new topology no longer uses must not be released yet. Refreshing again waits for them again.
 */
public final class TopologyDrainTimeoutException extends RuntimeException {

    public TopologyDrainTimeoutException(String message) {
        super(message);
    }
}
