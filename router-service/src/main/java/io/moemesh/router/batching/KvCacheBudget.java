package io.moemesh.router.batching;

import io.moemesh.core.config.ModelConfig;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of KV cache the router's requests may hold together. A request's cache is allocated
 * whole when it joins the batch (F32 keys and values for every position it may reach, see
 * {@code KvCache}), so the router reserves those bytes when it accepts the request and releases
 * them when the request leaves, for whatever reason: requests that would take the heap past the
 * budget are refused up front instead of failing the JVM later.
 */
public final class KvCacheBudget {

    private final long budgetBytes;
    private final AtomicLong reserved = new AtomicLong();

    public KvCacheBudget(long budgetBytes) {
        if (budgetBytes < 1) {
            throw new IllegalArgumentException("the KV cache budget must be positive, got " + budgetBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
    }

    /** The budget when {@code moemesh.router.kv-cache-budget} is unset: a quarter of the JVM's maximum heap. */
    public static long defaultBudgetBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    /**
     * Bytes of the {@code KvCache} of a sequence of {@code positions}: for every layer, keys and
     * values of {@code positions × kvDim} floats. In long, checked: a model with a long context and
     * wide heads must be refused, not wrap around.
     */
    public static long bytesFor(ModelConfig config, int positions) {
        long perPosition = Math.multiplyExact(Math.multiplyExact((long) config.numLayers(), config.kvDim()),
                2L * Float.BYTES);
        return Math.multiplyExact(perPosition, (long) positions);
    }

    /**
     * Reserves {@code bytes} for one request.
     *
     * @throws IllegalArgumentException when the request needs more than the whole budget: it can never run here
     * @throws OverloadedException      when what queued and running requests hold leaves too little
     */
    Reservation reserve(long bytes) {
        if (bytes > budgetBytes) {
            throw new IllegalArgumentException("this request's KV cache needs " + format(bytes)
                    + ", more than the router's whole KV cache budget of " + format(budgetBytes)
                    + " (moemesh.router.kv-cache-budget); lower max_tokens or shorten the prompt");
        }
        long held;
        do {
            held = reserved.get();
            if (bytes > budgetBytes - held) { // not held + bytes: a budget near Long.MAX_VALUE would wrap around
                throw new OverloadedException("KV cache budget " + format(budgetBytes) + ": " + format(held)
                        + " reserved by queued and running requests, this request needs " + format(bytes)
                        + "; retry later or lower max_tokens");
            }
        } while (!reserved.compareAndSet(held, held + bytes));
        return new Reservation(bytes);
    }

    /** Bytes reserved by queued and running requests. */
    public long reservedBytes() {
        return reserved.get();
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** {@code 24 MiB}, {@code 1.5 GiB}, {@code 256 KiB}, {@code 96 bytes}. */
    static String format(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        String number = String.format(Locale.ROOT, "%.1f", value);
        return (number.endsWith(".0") ? number.substring(0, number.length() - 2) : number) + " " + units[unit];
    }

    /** One request's bytes; released once, however many of its exits call {@link #release}. */
    final class Reservation {

        private final long bytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                reserved.addAndGet(-bytes);
            }
        }
    }
}
