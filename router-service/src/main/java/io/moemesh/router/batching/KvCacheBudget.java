package io.moemesh.router.batching;

import io.moemesh.core.config.ModelConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of KV cache the router's running requests may hold together. A request's cache is
 * allocated whole when it joins the batch (F32 keys and values for every position it may reach, see
 * {@code KvCache}), so the scheduler reserves those bytes when it admits the request into the batch
 * and releases them when the request leaves, for whatever reason. Queued requests hold nothing: a
 * request that does not fit what is left waits in the queue, so that one caller's requests cannot
 * reserve the budget ahead of everyone else's turn. What each caller holds is kept, so that the
 * scheduler can admit the caller that holds least first.
 */
public final class KvCacheBudget {

    private final long budgetBytes;
    private final AtomicLong reserved = new AtomicLong();
    private final Map<String, Long> byCaller = new ConcurrentHashMap<>();

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

    /** @throws InadmissibleRequestException when a request of {@code bytes} could never run here, however long it waited */
    void requireWithinBudget(long bytes) {
        if (bytes > budgetBytes) {
            throw new InadmissibleRequestException("this request's KV cache needs " + format(bytes)
                    + ", more than the router's whole KV cache budget of " + format(budgetBytes)
                    + " (moemesh.router.kv-cache-budget); lower max_tokens or shorten the prompt");
        }
    }

    /**
     * Reserves {@code bytes} for one request of {@code caller}, or returns null when what running
     * requests hold leaves too little.
     *
     * @throws InadmissibleRequestException when the request needs more than the whole budget
     */
    Reservation tryReserve(String caller, long bytes) {
        requireWithinBudget(bytes);
        long held;
        do {
            held = reserved.get();
            if (bytes > budgetBytes - held) { // not held + bytes: a budget near Long.MAX_VALUE would wrap around
                return null;
            }
        } while (!reserved.compareAndSet(held, held + bytes));
        byCaller.merge(caller, bytes, Long::sum);
        return new Reservation(caller, bytes);
    }

    /** Why a request that waited {@code wait} for {@code bytes} is refused: the budget, what is held, the setting. */
    String waitedTooLong(long bytes, Duration wait) {
        return "KV cache budget " + format(budgetBytes) + ": " + format(reserved.get()) + " reserved by running"
                + " requests, this request needs " + format(bytes) + " and waited " + format(wait) + " for it"
                + " (moemesh.router.max-kv-cache-wait); retry later or lower max_tokens";
    }

    /** Bytes reserved by running requests. */
    public long reservedBytes() {
        return reserved.get();
    }

    /** Bytes reserved by the running requests of {@code caller}. */
    long reservedBy(String caller) {
        return byCaller.getOrDefault(caller, 0L);
    }

    /** Bytes no running request holds. */
    long freeBytes() {
        return budgetBytes - reserved.get();
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

    /** {@code 30 s}, {@code 250 ms}. */
    static String format(Duration wait) {
        return wait.toMillis() % 1000 == 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms";
    }

    /** One request's bytes; released once, however many of its exits call {@link #release}. */
    final class Reservation {

        private final String caller;
        private final long bytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Reservation(String caller, long bytes) {
            this.caller = caller;
            this.bytes = bytes;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                byCaller.computeIfPresent(caller, (c, held) -> held == bytes ? null : held - bytes);
                reserved.addAndGet(-bytes);
            }
        }
    }
}
