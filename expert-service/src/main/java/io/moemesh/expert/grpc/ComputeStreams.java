package io.moemesh.expert.grpc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open {@link ComputeStream}s of this endpoint, so that shutdown can end them: the gRPC server's
 * graceful shutdown waits for open streams, and a router's stream stays open for as long as the router
 * runs, so without {@link #drainAll} every shutdown would wait out its drain timeout.
 */
final class ComputeStreams {

    private final Set<ComputeStream> open = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    void add(ComputeStream stream) {
        open.add(stream);
        if (draining) { // opened while draining began: end it like the others
            stream.drain();
        }
    }

    void remove(ComputeStream stream) {
        open.remove(stream);
    }

    int size() {
        return open.size();
    }

    /** Every stream refuses new calls, answers what it admitted and ends; so does any opened from now on. */
    void drainAll() {
        draining = true;
        open.forEach(ComputeStream::drain);
    }
}
