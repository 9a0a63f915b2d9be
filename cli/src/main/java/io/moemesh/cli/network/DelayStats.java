package io.moemesh.cli.network;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the emulation delivered since the profile was last set: chunks and bytes, the one-way delay
 * each chunk was due (serialization, queueing, rtt/2, jitter) and how late it actually went out.
 * Lateness is the emulation's own error (the thread that delivers it woke late or the machine was
 * busy); a report states it beside the figures it measured.
 */
final class DelayStats {

    /** Lateness buckets: [0] under 1 microsecond late (or early), [b] 2^(b-1) to 2^b - 1 microseconds. */
    private static final int BUCKETS = 26;

    private final LongAdder chunks = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder dueNanos = new LongAdder();
    private final LongAdder lateNanos = new LongAdder();
    private final AtomicLongArray lateness = new AtomicLongArray(BUCKETS);

    void record(int chunkBytes, long due, long late) {
        chunks.increment();
        bytes.add(chunkBytes);
        dueNanos.add(due);
        lateNanos.add(Math.max(0, late));
        long micros = Math.max(0, late) / 1000;
        lateness.incrementAndGet(micros == 0 ? 0 : Math.min(BUCKETS - 1, 64 - Long.numberOfLeadingZeros(micros)));
    }

    long chunks() {
        return chunks.sum();
    }

    /** One line: chunks, bytes, mean due one-way delay, mean and p50/p99 lateness (bucket upper bounds). */
    String summary() {
        long n = chunks.sum();
        if (n == 0) {
            return "chunks=0";
        }
        return String.format("chunks=%d bytes=%d due_one_way_mean_us=%.1f late_mean_us=%.1f late_p50_us<=%d late_p99_us<=%d",
                n, bytes.sum(), dueNanos.sum() / 1e3 / n, lateNanos.sum() / 1e3 / n, quantileMicros(0.5),
                quantileMicros(0.99));
    }

    /** Upper bound of the bucket holding quantile {@code q} of lateness, in microseconds. */
    long quantileMicros(double q) {
        long total = 0;
        for (int b = 0; b < BUCKETS; b++) {
            total += lateness.get(b);
        }
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += lateness.get(b);
            if (seen >= Math.ceil(q * total)) {
                return b == 0 ? 0 : 1L << b;
            }
        }
        return 1L << (BUCKETS - 1);
    }
}
