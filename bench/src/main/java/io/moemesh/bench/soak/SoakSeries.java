package io.moemesh.bench.soak;

import io.moemesh.bench.harness.Measurements;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The soak's time series, one CSV per subject, a row per sample period (t_s: seconds since the
 * start of traffic): {@code processes.csv} (heap, threads, resident memory of every process),
 * {@code router.csv} (scheduler counters and health), {@code traffic.csv} (outcomes per kind in the
 * period), {@code latency.csv} (normal requests that ended OK in the period, calls in flight).
 */
final class SoakSeries implements AutoCloseable {

    private final BufferedWriter processes;
    private final BufferedWriter router;
    private final BufferedWriter traffic;
    private final BufferedWriter latency;

    SoakSeries(Path dir) {
        try {
            Files.createDirectories(dir);
            processes = open(dir.resolve("processes.csv"),
                    "t_s,name,alive,rss_mb,os_threads,jvm_threads,heap_used_mb,heap_committed_mb,gcs");
            router = open(dir.resolve("router.csv"), "t_s,router_serving,gateway_serving,"
                    + String.join(",", RouterMetrics.COLUMNS.keySet()));
            traffic = open(dir.resolve("traffic.csv"), "t_s,kind,outcome,count");
            latency = open(dir.resolve("latency.csv"), "t_s,normal_ok,p50_ms,p99_ms,max_ms,in_flight,overdue");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void processes(double t, List<ProcessSampler.Sample> samples) {
        for (ProcessSampler.Sample s : samples) {
            line(processes, "%.1f,%s,%d,%s,%d,%d,%s,%s,%d", t, s.target().name(), s.alive() ? 1 : 0, mb(s.rssKb() * 1024),
                    s.osThreads(), s.jvmThreads(), mb(s.heapUsed()), mb(s.heapCommitted()), s.gcCount());
        }
    }

    synchronized void router(double t, boolean routerServing, boolean gatewayServing, Map<String, Double> metrics) {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%.1f,%d,%d", t, routerServing ? 1 : 0,
                gatewayServing ? 1 : 0));
        RouterMetrics.COLUMNS.keySet().forEach(c -> row.append(',').append(number(metrics.getOrDefault(c, Double.NaN))));
        line(router, "%s", row);
    }

    synchronized void traffic(double t, CallLedger.Interval interval, int inFlight, long overdue) {
        interval.counts().forEach((kind, outcomes) -> outcomes.forEach((outcome, count) ->
                line(traffic, "%.1f,%s,%s,%d", t, kind, outcome, count)));
        long[] l = interval.normalLatencyNanos();
        line(latency, "%.1f,%d,%s,%s,%s,%d,%d", t, l.length, l.length == 0 ? "" : ms(Measurements.quantile(l, 0.5)),
                l.length == 0 ? "" : ms(Measurements.quantile(l, 0.99)), l.length == 0 ? "" : ms(Measurements.quantile(l, 1)),
                inFlight, overdue);
        flush();
    }

    private void flush() {
        try {
            processes.flush();
            router.flush();
            traffic.flush();
            latency.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String mb(long bytes) {
        return bytes < 0 ? "" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    private static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.0f", nanos / 1e6);
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static BufferedWriter open(Path file, String header) throws IOException {
        BufferedWriter w = Files.newBufferedWriter(file);
        w.write(header);
        w.newLine();
        return w;
    }

    private static void line(BufferedWriter w, String format, Object... args) {
        try {
            w.write(String.format(Locale.ROOT, format, args));
            w.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        for (BufferedWriter w : List.of(processes, router, traffic, latency)) {
            try {
                w.close();
            } catch (IOException e) {
                // nothing more to write
            }
        }
    }
}
