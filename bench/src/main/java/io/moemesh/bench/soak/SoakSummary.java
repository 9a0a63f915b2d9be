package io.moemesh.bench.soak;

import io.moemesh.bench.harness.Measurements;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code summary.json} says: calls by kind and outcome, the latency of normal requests,
 * every process's heap, threads and resident memory after a full collection before and after the
 * traffic (and the most seen in between), the router's counters, the bursts, health, and the checks
 * that decide whether the soak passed: exact tokens before and after, every call ended, the
 * router's scheduler idle, every process alive.
 */
final class SoakSummary {

    private final SoakOptions options;
    private final SoakHarness.Cluster cluster;
    private final CallLedger ledger;
    private final Map<String, Boolean> checks = new LinkedHashMap<>();
    private final Map<String, Object> timeline = new LinkedHashMap<>();
    private final List<Map<String, Object>> bursts = new ArrayList<>();
    private final Map<String, long[]> peaks = new TreeMap<>(); // name → heap, jvm threads, os threads, rss kB
    private List<ProcessSampler.Sample> before = List.of();
    private List<ProcessSampler.Sample> after = List.of();
    private Map<String, Double> routerBefore = Map.of();
    private Map<String, Double> routerAfter = Map.of();
    private List<CallLedger.Call> notEnded = List.of();
    private int samples;
    private int routerNotServing;
    private int gatewayNotServing;
    private long maxOverdue;

    SoakSummary(SoakOptions options, SoakHarness.Cluster cluster, CallLedger ledger) {
        this.options = options;
        this.cluster = cluster;
        this.ledger = ledger;
    }

    synchronized void exact(String when, boolean exact) {
        checks.put(when + "_tokens_exact", exact);
    }

    synchronized void before(List<ProcessSampler.Sample> samples, Map<String, Double> router) {
        before = samples;
        routerBefore = router;
    }

    synchronized void trafficStarted(double t) {
        timeline.put("traffic_start_s", t);
    }

    synchronized void trafficEnded(double t) {
        timeline.put("traffic_end_s", t);
    }

    synchronized void calmed(double callsEndedAfter, double routerIdleAfter) {
        timeline.put("all_calls_ended_after_s", callsEndedAfter);
        timeline.put("router_idle_after_s", routerIdleAfter);
        checks.put("router_scheduler_idle", routerIdleAfter >= 0);
    }

    synchronized void burst(double at, int size, Map<String, Long> before, Map<String, Long> after) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("at_s", Math.round(at * 10) / 10.0);
        b.put("calls", size);
        after.forEach((outcome, n) -> b.put(outcome, n - before.getOrDefault(outcome, 0L)));
        bursts.add(b);
    }

    synchronized void sampled(List<ProcessSampler.Sample> now, boolean routerServing, boolean gatewayServing,
            long overdue) {
        samples++;
        routerNotServing += routerServing ? 0 : 1;
        gatewayNotServing += gatewayServing ? 0 : 1;
        maxOverdue = Math.max(maxOverdue, overdue);
        for (ProcessSampler.Sample s : now) {
            long[] p = peaks.computeIfAbsent(s.target().name(), k -> new long[4]);
            p[0] = Math.max(p[0], s.heapUsed());
            p[1] = Math.max(p[1], s.jvmThreads());
            p[2] = Math.max(p[2], s.osThreads());
            p[3] = Math.max(p[3], s.rssKb());
        }
    }

    synchronized void after(List<ProcessSampler.Sample> samples, Map<String, Double> router,
            Collection<CallLedger.Call> inFlight) {
        after = samples;
        routerAfter = router;
        notEnded = List.copyOf(inFlight);
        checks.put("every_call_ended", notEnded.isEmpty());
        checks.put("every_process_alive", samples.stream().allMatch(ProcessSampler.Sample::alive));
    }

    /** Writes the summary; true when every check passed. */
    synchronized boolean write(Path file) {
        boolean passed = !checks.isEmpty() && checks.values().stream().allMatch(Boolean::booleanValue);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("benchmark", "soak");
        s.put("when", Instant.now().toString());
        s.put("passed", passed);
        s.put("checks", checks);
        s.put("options", Map.of("duration_s", options.duration().toSeconds(), "concurrency", options.concurrency(),
                "sample_every_s", options.sampleEvery().toSeconds(), "burst_every_s", options.burstEvery().toSeconds(),
                "burst_size", options.burstSize(), "seed", options.seed()));
        s.put("cluster", Map.of("model", cluster.model().toString(), "gateway", cluster.gateway(), "router",
                cluster.router(), "processes", cluster.processes().size()));
        s.put("machine", Measurements.machine());
        s.put("timeline", timeline);
        s.put("calls", calls());
        s.put("normal_latency_ms", latency(ledger.normalLatencies()));
        s.put("unexpected_outcomes", Map.of("count", ledger.surpriseCount(), "first", ledger.surprises()));
        s.put("non_ok_reasons", ledger.reasons());
        s.put("bursts", bursts);
        s.put("health", Map.of("samples", samples, "router_not_serving", routerNotServing, "gateway_not_serving",
                gatewayNotServing));
        s.put("stuck", Map.of("calls_not_ended", notEnded.stream().map(this::describe).toList(),
                "max_overdue_calls_in_a_sample", maxOverdue,
                "router_scheduler_load_end", routerAfter.getOrDefault("scheduler_load", Double.NaN)));
        s.put("router_counters", Map.of("before", routerBefore, "after", routerAfter));
        s.put("processes", processes());
        Measurements.write(file, s);
        return passed;
    }

    private Map<String, Object> calls() {
        Map<String, Map<String, Long>> byKind = ledger.totals();
        Map<String, Long> byOutcome = new TreeMap<>();
        byKind.values().forEach(o -> o.forEach((outcome, n) -> byOutcome.merge(outcome, n, Long::sum)));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("total", byOutcome.values().stream().mapToLong(Long::longValue).sum());
        c.put("by_outcome", byOutcome);
        c.put("by_kind", byKind);
        return c;
    }

    private static Map<String, Object> latency(long[] nanos) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("count", nanos.length);
        if (nanos.length > 0) {
            l.put("p50", Math.round(Measurements.quantile(nanos, 0.5) / 1e6));
            l.put("p99", Math.round(Measurements.quantile(nanos, 0.99) / 1e6));
            l.put("max", Math.round(Measurements.quantile(nanos, 1) / 1e6));
        }
        return l;
    }

    /** Per process: after a full GC before and after the traffic, and the peaks of the samples between. */
    private List<Map<String, Object>> processes() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            ProcessSampler.Sample b = before.get(i);
            ProcessSampler.Sample a = i < after.size() ? after.get(i) : null;
            long[] peak = peaks.getOrDefault(b.target().name(), new long[4]);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", b.target().name());
            p.put("pid", b.target().pid());
            p.put("heap_after_gc_mb", pair(mb(b.heapUsed()), a == null ? -1 : mb(a.heapUsed())));
            p.put("jvm_threads", pair(b.jvmThreads(), a == null ? -1 : a.jvmThreads()));
            p.put("os_threads", pair(b.osThreads(), a == null ? -1 : a.osThreads()));
            p.put("rss_mb", pair(mb(b.rssKb() * 1024), a == null ? -1 : mb(a.rssKb() * 1024)));
            p.put("peak", Map.of("heap_used_mb", mb(peak[0]), "jvm_threads", peak[1], "os_threads", peak[2],
                    "rss_mb", mb(peak[3] * 1024)));
            p.put("alive_at_end", a != null && a.alive());
            out.add(p);
        }
        return out;
    }

    private static double mb(long bytes) {
        return bytes < 0 ? -1 : Math.round(bytes / 104857.6) / 10.0;
    }

    private static List<Object> pair(Object start, Object end) {
        return List.of(start, end);
    }

    private String describe(CallLedger.Call c) {
        return c.kind() + "/" + c.variant() + " started at " + Math.round(ledger.seconds(c.startNanos())) + " s, deadline "
                + c.deadline().toSeconds() + " s";
    }
}
