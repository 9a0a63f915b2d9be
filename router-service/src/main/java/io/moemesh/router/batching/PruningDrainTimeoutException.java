package io.moemesh.router.batching;

/**
 * A new pruned set is installed, but forward steps that started on an earlier one were still running
 * when {@link LivePruning#install} stopped waiting: they may still send tokens to a newly pruned unit,
 * so its expert must not be stopped yet. Installing the same set again waits for them again.
 */
public final class PruningDrainTimeoutException extends RuntimeException {

    public PruningDrainTimeoutException(String message) {
        super(message);
    }
}
