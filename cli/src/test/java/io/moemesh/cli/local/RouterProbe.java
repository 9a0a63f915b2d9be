package io.moemesh.cli.local;

import io.moemesh.testing.PrometheusMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A router process's metrics, and its heap after a full collection, for the process-level tests. */
record RouterProbe(long pid, PrometheusMetrics metrics) {

    RouterProbe(long pid, int httpPort) {
        this(pid, PrometheusMetrics.ofService("http://127.0.0.1:" + httpPort));
    }

    double metric(String metric, String labelFilter) {
        return metrics.sum(metric, labelFilter);
    }

    long liveThreads() {
        return (long) metric("jvm_threads_live_threads", "");
    }

    /**
     * The router's platform threads by name, with runs of digits folded to {@code #} ({@code grpc-default-executor-#}),
     * from a {@code jcmd Thread.print}: what a failed thread bound prints, so that it says which pool grew.
     */
    Map<String, Integer> threadsByName() {
        Map<String, Integer> byName = new TreeMap<>();
        Matcher m = THREAD_LINE.matcher(jcmd("Thread.print"));
        while (m.find()) {
            byName.merge(m.group(1).replaceAll("\\d+", "#"), 1, Integer::sum);
        }
        return byName;
    }

    private static final Pattern THREAD_LINE = Pattern.compile("(?m)^\"([^\"]*)\" #\\d+");

    /** Heap in use right after a full collection (jcmd GC.run), so that garbage does not count. */
    long heapAfterGc() {
        jcmd("GC.run");
        return (long) metric("jvm_memory_used_bytes", "area=\"heap\"");
    }

    private String jcmd(String command) {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("jcmd " + command + " failed for pid " + pid + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("jcmd could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
