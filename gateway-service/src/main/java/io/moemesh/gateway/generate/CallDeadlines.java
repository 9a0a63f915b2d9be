package io.moemesh.gateway.generate;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of a router call: the caller's, capped by the default deadline, or the default when
 * the caller sets none. The cap keeps one caller from holding a router's batch slot indefinitely.
 */
public final class CallDeadlines {

    private final Duration cap;

    public CallDeadlines(Duration cap) {
        this.cap = cap;
    }

    public Deadline forCaller(Deadline callerDeadline) {
        Deadline capped = Deadline.after(cap.toNanos(), TimeUnit.NANOSECONDS);
        return callerDeadline == null ? capped : callerDeadline.minimum(capped);
    }
}
