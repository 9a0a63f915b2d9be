package io.moemesh.bench.harness;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.TextChunk;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * How evenly the expert processes of a running {@code moe up} cluster share the compute, and what they
 * cost, under skewed traffic (issue 22: replication and pruning, before and after). S streams generate
 * greedily (64 tokens, EOS ignored) from prompts of one language, one after another, for W seconds of
 * warm-up and D seconds of measurement; around the measurement two routing-statistics snapshots give
 * each endpoint's unit-tokens (expert FFN rows it was asked for, {@code EndpointCalls.unit_tokens}) and
 * the MoE layer-step histogram, and {@code <state>/replicas/*.pid} with {@code /proc} give the expert
 * processes' RSS and CPU time.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.UtilisationHarness OUT.json
 *     --prompts=FILE (one prompt a line) [--gateway=127.0.0.1:50051] [--router=127.0.0.1:50056]
 *     [--api-key-file=.moe/api-key] [--state-dir=.moe] [--streams=8] [--tokens=64]
 *     [--warmup-seconds=60] [--measure-seconds=60] [--ready-file=PATH] [--label=TEXT]</pre>
 *
 * <p>Load per service is the sum over its endpoints (an endpoint's service is its Describe base expert);
 * max/mean is over the services and over the processes that the router routes to at the end. A pruned
 * expert has no process and is in neither mean.
 */
public final class UtilisationHarness {

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        Path out = Path.of(o.get("out"));
        List<String> prompts = Files.readAllLines(Path.of(o.get("prompts"))).stream().filter(l -> !l.isBlank()).toList();
        int streams = Integer.parseInt(o.get("streams"));
        int tokens = Integer.parseInt(o.get("tokens"));
        Path state = Path.of(o.get("state-dir"));
        Path key = Path.of(o.get("api-key-file"));
        ManagedChannel router = Grpc.newChannelBuilder(o.get("router"), InsecureChannelCredentials.create()).build();
        AtomicBoolean running = new AtomicBoolean(true);
        LongAdder generated = new LongAdder();
        LongAdder failures = new LongAdder();
        Map<String, Object> result = new LinkedHashMap<>();
        try (MoeMeshClient client = EndToEndHarness.gatewayClient(o.get("gateway"),
                Files.isRegularFile(key) ? key : null, null);
                DispatchTrafficClient traffic = new DispatchTrafficClient(o.get("router"), router)) {
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                int stream = s;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int n = stream; running.get(); n += streams) {
                        generate(client, prompts.get(n % prompts.size()), tokens, generated, failures);
                    }
                }));
            }
            awaitReady(o.get("ready-file"));
            TimeUnit.SECONDS.sleep(Long.parseLong(o.get("warmup-seconds")));
            RoutingStatsSnapshot before = traffic.readSnapshot().orElseThrow();
            Map<Long, long[]> procBefore = sampleProcesses(state);
            long tokensBefore = generated.sum();
            long t0 = System.nanoTime();
            TimeUnit.SECONDS.sleep(Long.parseLong(o.get("measure-seconds")));
            RoutingStatsSnapshot after = traffic.readSnapshot().orElseThrow();
            Map<Long, long[]> procAfter = sampleProcesses(state);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long measuredTokens = generated.sum() - tokensBefore;
            ExpertEndpointsState endpoints = ExpertEndpointsGrpc.newBlockingStub(router)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());
            running.set(false);

            result.put("benchmark", "utilisation");
            result.put("when", Instant.now().toString());
            result.put("label", o.get("label"));
            result.put("machine", Measurements.machine());
            result.put("streams", streams);
            result.put("tokens_per_request", tokens);
            result.put("prompts", prompts);
            result.put("warmup_seconds", Long.parseLong(o.get("warmup-seconds")));
            result.put("measured_seconds", seconds);
            result.put("generated_tokens", measuredTokens);
            result.put("tokens_per_s", measuredTokens / seconds);
            result.put("failed_requests", failures.sum());
            result.put("layer_step_p50_ms", DispatchTrafficClient.stepQuantileMillis(before.getTraffic(), after.getTraffic(), 0.5));
            result.put("layer_step_p99_ms", DispatchTrafficClient.stepQuantileMillis(before.getTraffic(), after.getTraffic(), 0.99));
            result.putAll(DispatchTrafficClient.breakdown(before, after));
            result.put("pruned_experts", new TreeSet<>(endpoints.getPrunedList().stream().map(PrunedUnit::getExpert).toList()));
            result.putAll(load(before, after, endpoints));
            result.putAll(processes(procBefore, procAfter, measuredTokens));
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
        } finally {
            router.shutdownNow();
        }
        Measurements.write(out, result);
        System.out.println(result);
    }

    /**
     * With {@code --ready-file}, traffic runs until that file exists (at most 10 minutes) before the
     * warm-up starts: the caller creates it once the controller has settled its processes under this load.
     */
    private static void awaitReady(String file) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!file.isEmpty() && !Files.exists(Path.of(file)) && System.nanoTime() < end) {
            TimeUnit.SECONDS.sleep(1);
        }
    }

    /** One greedy request, its tokens counted as they arrive; a failed one is counted and the stream goes on. */
    private static void generate(MoeMeshClient client, String prompt, int tokens, LongAdder generated, LongAdder failures) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        client.stream(GenerateOptions.builder().prompt(prompt).maxTokens(tokens).ignoreEos(true).temperature(0f).build(),
                new GenerationListener() {
                    @Override
                    public void onChunk(TextChunk chunk) {
                        generated.add(chunk.tokenIds().size());
                    }

                    @Override
                    public void onComplete(GenerationResult r) {
                        done.complete(null);
                    }

                    @Override
                    public void onError(MoeMeshException error) {
                        failures.increment();
                        done.complete(null);
                    }
                });
        done.join();
    }

    /** Unit-tokens between the snapshots per endpoint (those the router routes to at the end) and per service. */
    static Map<String, Object> load(RoutingStatsSnapshot before, RoutingStatsSnapshot after, ExpertEndpointsState endpoints) {
        Map<String, Integer> serviceOf = new LinkedHashMap<>();
        for (ExpertEndpointState e : endpoints.getEndpointsList()) {
            if (e.hasDescription() && e.getDescription().hasService()) {
                serviceOf.put(e.getTarget(), e.getDescription().getService());
            }
        }
        Map<String, Long> earlier = new LinkedHashMap<>();
        before.getEndpointCallsList().forEach(c -> earlier.put(c.getTarget(), c.getUnitTokens()));
        Map<String, Long> perEndpoint = new TreeMap<>();
        Map<Integer, Long> perService = new TreeMap<>();
        for (EndpointCalls c : after.getEndpointCallsList()) {
            Integer service = serviceOf.get(c.getTarget());
            if (service == null) {
                continue; // listed by the stats but no longer routed to: a replica being removed
            }
            long units = c.getUnitTokens() - earlier.getOrDefault(c.getTarget(), 0L);
            perEndpoint.put(c.getTarget(), units);
            perService.merge(service, units, Long::sum);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("unit_tokens_per_service", perService);
        m.put("unit_tokens_per_endpoint", perEndpoint);
        m.put("endpoints_per_service", serviceOf.values().stream()
                .collect(java.util.stream.Collectors.groupingBy(s -> s, TreeMap::new, java.util.stream.Collectors.counting())));
        m.put("services", perService.size());
        m.put("endpoints", perEndpoint.size());
        m.put("service_max_over_mean", maxOverMean(perService.values()));
        m.put("process_max_over_mean", maxOverMean(perEndpoint.values()));
        return m;
    }

    static double maxOverMean(Collection<Long> values) {
        long max = values.stream().mapToLong(Long::longValue).max().orElse(0);
        double mean = values.stream().mapToLong(Long::longValue).average().orElse(0);
        return mean == 0 ? Double.NaN : max / mean;
    }

    /** Total RSS at the end, CPU seconds of the processes that ran through the interval, and their counts. */
    static Map<String, Object> processes(Map<Long, long[]> before, Map<Long, long[]> after, long tokens) {
        long rssKb = after.values().stream().mapToLong(v -> v[0]).sum();
        long ticks = 0;
        for (Map.Entry<Long, long[]> e : after.entrySet()) {
            long[] b = before.get(e.getKey());
            ticks += e.getValue()[1] - (b == null ? 0 : b[1]); // a process started meanwhile: all its CPU time
        }
        double cpuSeconds = ticks / 100.0; // USER_HZ, 100 on Linux
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("expert_processes_before", before.size());
        m.put("expert_processes", after.size());
        m.put("expert_rss_mib", rssKb / 1024.0);
        m.put("expert_cpu_seconds", cpuSeconds);
        m.put("expert_cpu_seconds_per_1k_tokens", tokens == 0 ? Double.NaN : cpuSeconds * 1000 / tokens);
        return m;
    }

    /** Per live expert process of {@code <state>/replicas/*.pid}: {RSS kB, utime + stime ticks}. */
    static Map<Long, long[]> sampleProcesses(Path state) throws IOException {
        Map<Long, long[]> m = new TreeMap<>();
        Path dir = state.resolve("replicas");
        if (!Files.isDirectory(dir)) {
            return m;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path f : files) {
                try {
                    long pid = Long.parseLong(Files.readAllLines(f).getFirst().strip());
                    long rss = 0;
                    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                        if (line.startsWith("VmRSS:")) {
                            rss = Long.parseLong(line.substring(6).strip().split("\\s+")[0]);
                        }
                    }
                    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                    String[] f2 = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // fields from 3 (state) on
                    m.put(pid, new long[] {rss, Long.parseLong(f2[11]) + Long.parseLong(f2[12])}); // 14 utime, 15 stime
                } catch (IOException | RuntimeException e) {
                    // a pid file being written or removed, or a process that just exited: not counted
                }
            }
        }
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>(Map.of("gateway", "127.0.0.1:50051", "router", "127.0.0.1:50056",
                "api-key-file", ".moe/api-key", "state-dir", ".moe", "streams", "8", "tokens", "64",
                "warmup-seconds", "60", "measure-seconds", "60", "label", "", "ready-file", ""));
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                String k = arg.substring(2, arg.indexOf('='));
                if (!o.containsKey(k) && !k.equals("prompts")) {
                    throw new IllegalArgumentException("unknown option " + arg + "; known: --prompts= " + o.keySet());
                }
                o.put(k, arg.substring(arg.indexOf('=') + 1));
            } else {
                o.put("out", arg);
            }
        }
        if (!o.containsKey("out") || !o.containsKey("prompts")) {
            throw new IllegalArgumentException("usage: UtilisationHarness OUT.json --prompts=FILE [--streams=8] [--tokens=64]"
                    + " [--warmup-seconds=60] [--measure-seconds=60] [--gateway=] [--router=] [--api-key-file=] [--state-dir=]");
        }
        return o;
    }
}
