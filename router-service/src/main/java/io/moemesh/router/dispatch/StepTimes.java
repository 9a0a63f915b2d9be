package io.moemesh.router.dispatch;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Durations of MoE layer steps as counts per bucket, cheap enough to record on every step and
 * subtractable between two snapshots, so a benchmark reads p50/p99 of any interval it likes. Bounds
 * grow geometrically, eight per doubling (each bucket about 9% wide), from 16 µs to about 17 s.
 */
public final class StepTimes {

    private static final int PER_DOUBLING = 8;
    private static final long FIRST_BOUND_MICROS = 16;
    private static final long[] BOUNDS = bounds();

    /** {@code counts[i]}: steps with bounds[i-1] < µs <= bounds[i]; {@code counts[bounds.length]}: beyond. */
    public record Snapshot(long[] boundsMicros, long[] counts) {
    }

    private final AtomicLongArray counts = new AtomicLongArray(BOUNDS.length + 1);

    public void record(long nanos) {
        long micros = Math.max(0, (nanos + 999) / 1000);
        counts.incrementAndGet(bucket(micros));
    }

    public Snapshot snapshot() {
        long[] c = new long[counts.length()];
        for (int i = 0; i < c.length; i++) {
            c[i] = counts.get(i);
        }
        return new Snapshot(BOUNDS.clone(), c);
    }

    /** First bucket whose bound holds {@code micros}; binary search over the sorted bounds. */
    static int bucket(long micros) {
        int lo = 0;
        int hi = BOUNDS.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (BOUNDS[mid] >= micros) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private static long[] bounds() {
        int doublings = 20; // 16 µs · 2^20 ≈ 16.8 s
        long[] b = new long[doublings * PER_DOUBLING + 1];
        for (int k = 0; k < b.length; k++) {
            b[k] = Math.round(FIRST_BOUND_MICROS * Math.pow(2, k / (double) PER_DOUBLING));
        }
        return b;
    }
}
