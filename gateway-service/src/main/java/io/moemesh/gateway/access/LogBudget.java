package io.moemesh.gateway.access;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * At most {@code lines} log lines per {@code interval}, so that a flood of bad requests cannot fill
 * the disk through the log. The next line logged says how many were left out before it.
 */
public final class LogBudget {

    private final int lines;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private long intervalStart;
    private int logged;
    private long suppressed;

    public LogBudget(int lines, Duration interval, LongSupplier nanoTime) {
        this.lines = lines;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.intervalStart = nanoTime.getAsLong();
    }

    /** -1 when this line must be left out; otherwise how many lines were left out since the last one logged. */
    public synchronized long tryLog() {
        long now = nanoTime.getAsLong();
        if (now - intervalStart >= intervalNanos) {
            intervalStart = now;
            logged = 0;
        }
        if (logged >= lines) {
            suppressed++;
            return -1;
        }
        logged++;
        long left = suppressed;
        suppressed = 0;
        return left;
    }
}
