package io.moemesh.cli.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a service's Prometheus metrics and asks its JVM to collect garbage, for the process-level tests. */
record RouterProbe(long pid, int httpPort) {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The sum of every sample of {@code metric} whose labels contain {@code labelFilter} (may be empty). */
    double metric(String metric, String labelFilter) {
        Pattern line = Pattern.compile("^" + Pattern.quote(metric) + "(\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(scrape());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            if (m.group(1) == null || m.group(1).contains(labelFilter)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("metric " + metric + " is not published by the router");
        }
        return sum;
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

    private String scrape() {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException("router metrics unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
