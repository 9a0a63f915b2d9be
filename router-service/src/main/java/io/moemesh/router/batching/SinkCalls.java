package io.moemesh.router.batching;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls into a {@link GenerationSink} that may throw (it writes to a client's stream): a sink's
 * failure must not reach the scheduler's loop, which serves every other request too.
 */
final class SinkCalls {

    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);

    private SinkCalls() {
    }

    static void tellError(GenerationSink sink, Throwable error) {
        try {
            sink.onError(error);
        } catch (Exception e) {
            LOG.warn("could not report a failure to its client: {}", e.toString());
        }
    }

    static boolean isCancelled(GenerationSink sink) {
        try {
            return sink.isCancelled();
        } catch (Exception e) {
            return true; // a sink that cannot answer cannot take tokens either
        }
    }
}
