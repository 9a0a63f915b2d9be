package io.moemesh.expert.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the batcher's workers can still be trusted. A batch that fails with a
 * {@code RuntimeException} only fails its own requests; an {@link Error} (out of memory, a fault in
 * a mapped weight page) leaves the process in a state nobody can vouch for, so the first one marks
 * the workers failed for good and tells the listeners, which turn gRPC health NOT_SERVING so that a
 * supervisor restarts the process.
 */
final class WorkerHealth {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerHealth.class);

    private final List<Consumer<String>> listeners = new ArrayList<>();
    private String failure;

    /** Records the first fatal failure and tells every listener; later ones are only logged by the caller. */
    synchronized void fatal(String reason) {
        if (failure != null) {
            return;
        }
        failure = reason;
        listeners.forEach(listener -> tell(listener, reason));
    }

    synchronized Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** {@code listener} hears of the fatal failure once: when it happens, or now if it already has. */
    synchronized void onFatal(Consumer<String> listener) {
        listeners.add(listener);
        if (failure != null) {
            tell(listener, failure);
        }
    }

    private static void tell(Consumer<String> listener, String reason) {
        try {
            listener.accept(reason);
        } catch (RuntimeException e) {
            LOG.error("a listener for the worker failure \"{}\" failed", reason, e);
        }
    }
}
