package io.moemesh.bench.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Every call the soak makes, from its start to its end: calls in flight (so that one that never
 * ends is reported, not waited for), outcomes per kind and interval, the latency of normal requests,
 * and outcomes a variant did not expect. Thread-safe; an outcome is recorded once per call.
 */
final class CallLedger {

    /** A call in flight. {@code expected}: the outcomes this variant may end with. */
    record Call(long id, String kind, String variant, long startNanos, Duration deadline, Set<String> expected) {

        boolean overdue(long now, Duration grace) {
            return now - startNanos > deadline.plus(grace).toNanos();
        }
    }

    /** What ended in one interval: counts per kind and outcome, and the latencies of normal OK calls. */
    record Interval(Map<String, Map<String, Long>> counts, long[] normalLatencyNanos) {
    }

    /** An outcome its variant did not expect, kept for the report. */
    record Surprise(String kind, String variant, String outcome, String detail, double atSeconds, long tookMillis,
            long deadlineMillis) {
    }

    static final String NORMAL = "normal";
    private static final int MAX_SURPRISES = 50;
    private static final int MAX_REASONS = 300;

    private final LongSupplier nanoTime;
    private final long originNanos;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Call> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> totals = new TreeMap<>();
    private final Map<String, Long> reasons = new TreeMap<>();
    private final List<Surprise> surprises = new ArrayList<>();
    private long surpriseCount;
    private Map<String, Map<String, Long>> interval = new TreeMap<>();
    private List<Long> intervalLatencies = new ArrayList<>();
    private final List<Long> allLatencies = new ArrayList<>();

    CallLedger(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.originNanos = nanoTime.getAsLong();
    }

    Call start(String kind, String variant, Duration deadline, Set<String> expected) {
        Call call = new Call(ids.incrementAndGet(), kind, variant, nanoTime.getAsLong(), deadline, expected);
        inFlight.put(call.id(), call);
        return call;
    }

    /**
     * Records how {@code call} ended; later reports of the same call are ignored.
     *
     * @param outcome a gRPC status code name, or a soak verdict such as {@code INEXACT}
     * @param detail  the status description, or what was wrong
     */
    void end(Call call, String outcome, String detail) {
        if (inFlight.remove(call.id()) == null) {
            return;
        }
        long latency = nanoTime.getAsLong() - call.startNanos();
        synchronized (this) {
            interval.computeIfAbsent(call.kind(), k -> new TreeMap<>()).merge(outcome, 1L, Long::sum);
            totals.computeIfAbsent(call.kind(), k -> new TreeMap<>()).merge(outcome, 1L, Long::sum);
            if (!"OK".equals(outcome) && (reasons.size() < MAX_REASONS
                    || reasons.containsKey(reasonKey(call, outcome, detail)))) {
                reasons.merge(reasonKey(call, outcome, detail), 1L, Long::sum);
            }
            if (NORMAL.equals(call.kind()) && "OK".equals(outcome)) {
                intervalLatencies.add(latency);
                allLatencies.add(latency);
            }
            if (!call.expected().contains(outcome)) {
                surpriseCount++;
                if (surprises.size() < MAX_SURPRISES) {
                    surprises.add(new Surprise(call.kind(), call.variant(), outcome, detail, seconds(call.startNanos()),
                            latency / 1_000_000, call.deadline().toMillis()));
                }
            }
        }
    }

    /** What ended since the previous call of this method. */
    synchronized Interval drainInterval() {
        Interval done = new Interval(interval, intervalLatencies.stream().mapToLong(Long::longValue).toArray());
        interval = new TreeMap<>();
        intervalLatencies = new ArrayList<>();
        return done;
    }

    Collection<Call> inFlight() {
        return List.copyOf(inFlight.values());
    }

    long overdue(Duration grace) {
        long now = nanoTime.getAsLong();
        return inFlight.values().stream().filter(c -> c.overdue(now, grace)).count();
    }

    synchronized Map<String, Map<String, Long>> totals() {
        Map<String, Map<String, Long>> copy = new TreeMap<>();
        totals.forEach((kind, outcomes) -> copy.put(kind, new TreeMap<>(outcomes)));
        return copy;
    }

    synchronized Map<String, Long> reasons() {
        return new TreeMap<>(reasons);
    }

    synchronized long[] normalLatencies() {
        return allLatencies.stream().mapToLong(Long::longValue).toArray();
    }

    synchronized List<Surprise> surprises() {
        return List.copyOf(surprises);
    }

    synchronized long surpriseCount() {
        return surpriseCount;
    }

    double seconds(long nanos) {
        return (nanos - originNanos) / 1e9;
    }

    double now() {
        return seconds(nanoTime.getAsLong());
    }

    /** kind/variant OUTCOME: description with numbers and ids masked, so that like reasons add up. */
    private static String reasonKey(Call call, String outcome, String detail) {
        String masked = detail == null ? "" : detail.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>")
                .replaceAll("\\d+", "N");
        return call.kind() + "/" + call.variant() + " " + outcome + ": "
                + (masked.length() > 160 ? masked.substring(0, 160) + "…" : masked);
    }
}
