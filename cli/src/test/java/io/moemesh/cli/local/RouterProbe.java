package io.moemesh.cli.local;

import io.moemesh.testing.PrometheusMetrics;
import java.io.IOException;
import java.nio.file.Path;

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

    /** Heap in use right after a full collection (jcmd GC.run), so that garbage does not count. */
    long heapAfterGc() {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("jcmd GC.run failed for pid " + pid);
            }
        } catch (IOException e) {
            throw new IllegalStateException("jcmd could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return (long) metric("jvm_memory_used_bytes", "area=\"heap\"");
    }
}
