package io.moemesh.bench.harness;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.TextChunk;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a user sees, in process against distributed, in one sitting: decode tokens/s, time to first
 * token and inter-token latency (p50/p99) at several stream counts. The in-process side runs the
 * whole model in this JVM ({@link InProcessEngine}, the batch of N prompts prefilled together, then
 * decoded together); the distributed side sends N concurrent streams through a gateway (e.g.
 * {@code moe up}) and times every token as the client receives it. Both sides generate the same
 * number of sampled tokens (T = 0.8, EOS ignored) from the same prompts, and both are warmed first:
 * the distributed cluster's sixteen JVMs need far more warm-up than one.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.DecodeComparison \
 *     MODEL_DIR GATEWAY(host:port) OUT.json [--streams=1,8,32,128] [--tokens=64] [--rounds=3]
 *     [--warmup-seconds=300] [--router=host:port] [--api-key-file=FILE] [--label=TEXT]</pre>
 *
 * <p>Tokens/s counts every generated token over the wall time from submitting the N requests to the
 * last one finishing (prefill included, as the user waits for it). TTFT is from submission to the
 * first token; inter-token latency is the gap between consecutive tokens of one stream (a token
 * that arrives in the same chunk as the one before it has gap 0). The router's MoE-layer step p50
 * and endpoints per step come from its routing statistics, around each measured level.
 */
public final class DecodeComparison {

    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "decode-in-process-vs-distributed");
        result.put("when", Instant.now().toString());
        result.put("label", a.label);
        result.put("model", a.model.toString());
        result.put("gateway", a.gateway);
        result.put("tokens_per_stream", a.tokens);
        result.put("rounds", a.rounds);
        result.put("warmup_seconds", a.warmupSeconds);
        result.put("machine", Measurements.machine());
        List<Map<String, Object>> rows = new ArrayList<>();
        if (a.inProcessOnly) {
            inProcess(a, rows);
        } else {
            try (MoeMeshClient client = a.client();
                    DispatchTrafficClient traffic = DispatchTrafficClient.connect(a.router)) {
                warm(a.warmupSeconds, () -> distributed(client, 32, a.tokens));
                if (!a.distributedOnly) {
                    inProcess(a, rows); // while the warm cluster idles, compiled and quiet
                }
                for (int streams : a.streams) {
                    distributed(client, streams, a.tokens);
                    Optional<RoutingStatsSnapshot> before = traffic.readSnapshot();
                    long[] cpuBefore = machineCpuTicks();
                    Level level = new Level();
                    for (int r = 0; r < a.rounds; r++) {
                        level.add(distributed(client, streams, a.tokens));
                    }
                    Map<String, Object> row = level.row("distributed", streams);
                    long[] cpuAfter = machineCpuTicks();
                    if (cpuBefore != null && cpuAfter != null && cpuAfter[1] > cpuBefore[1]) {
                        // of every CPU of the machine: near 1 means the cores, not the software, set the pace
                        row.put("machine_cpu_busy", (double) (cpuAfter[0] - cpuBefore[0]) / (cpuAfter[1] - cpuBefore[1]));
                    }
                    before.ifPresent(b -> traffic.readSnapshot().ifPresent(after -> {
                        Map<String, Object> t = DispatchTrafficClient.between(b.getTraffic(), after.getTraffic());
                        for (String k : List.of("layer_step_p50_ms", "layer_step_p99_ms", "tokens_per_layer_step",
                                "endpoints_per_layer_step", "remote_calls_per_token_per_layer")) {
                            if (t.containsKey(k)) {
                                row.put(k, t.get(k));
                            }
                        }
                        row.putAll(DispatchTrafficClient.breakdown(b, after));
                    }));
                    rows.add(row);
                    System.out.println(row);
                }
            }
        }
        result.put("results", rows);
        Measurements.write(a.out, result);
        System.out.print(table(rows));
        System.out.println();
        System.out.print(breakdownTable(rows));
    }

    private static void inProcess(Args a, List<Map<String, Object>> rows) {
        try (InProcessEngine engine = InProcessEngine.open(a.model)) {
            warm(Math.max(1, a.warmupSeconds / 4), () -> inProcess(engine, 32, a.tokens));
            for (int streams : a.streams) {
                inProcess(engine, streams, a.tokens); // a round at this size before measuring it
                Level level = new Level();
                for (int r = 0; r < a.rounds; r++) {
                    level.add(inProcess(engine, streams, a.tokens));
                }
                rows.add(level.row("in-process", streams));
                System.out.println(rows.getLast());
            }
        }
    }

    /** Runs {@code round} until {@code seconds} have passed (at least once). */
    private static void warm(int seconds, Runnable round) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            round.run();
        } while (System.nanoTime() < end);
    }

    /**
     * One round's samples: token arrival times per stream, relative to submission, and the router's own
     * time to first token per stream (admission to first token; empty in process).
     */
    record Round(double seconds, long[][] arrivals, long[] routerTtft) {
    }

    private static Round inProcess(InProcessEngine engine, int streams, int tokens) {
        List<int[]> prompts = new ArrayList<>(streams);
        List<SamplingParams> params = new ArrayList<>(streams);
        for (int i = 0; i < streams; i++) {
            prompts.add(engine.tokenizer().encode(EndToEndHarness.PROMPTS.get(i % EndToEndHarness.PROMPTS.size())));
            params.add(new SamplingParams(0.8f, 0, 1f, i, tokens, List.of(), true));
        }
        long[][] arrivals = new long[streams][tokens];
        int[] seen = new int[streams];
        long start = System.nanoTime();
        engine.generateIds(prompts, params, (request, token, text, logprobs) -> arrivals[request][seen[request]++]
                = System.nanoTime() - start);
        return new Round((System.nanoTime() - start) / 1e9, trim(arrivals, seen), new long[0]);
    }

    private static Round distributed(MoeMeshClient client, int streams, int tokens) {
        long[][] arrivals = new long[streams][tokens];
        int[] seen = new int[streams];
        long[] routerTtft = new long[streams];
        List<CompletableFuture<Void>> done = new ArrayList<>(streams);
        long start = System.nanoTime();
        for (int i = 0; i < streams; i++) {
            int stream = i;
            CompletableFuture<Void> finished = new CompletableFuture<>();
            done.add(finished);
            GenerateOptions options = GenerateOptions.builder()
                    .prompt(EndToEndHarness.PROMPTS.get(i % EndToEndHarness.PROMPTS.size()))
                    .maxTokens(tokens).ignoreEos(true).temperature(0.8f).seed(i).build();
            client.stream(options, new GenerationListener() {
                @Override
                public void onChunk(TextChunk chunk) {
                    long now = System.nanoTime() - start;
                    for (int k = 0; k < chunk.tokenIds().size() && seen[stream] < tokens; k++) {
                        arrivals[stream][seen[stream]++] = now;
                    }
                }

                @Override
                public void onComplete(GenerationResult result) {
                    routerTtft[stream] = result.usage().timeToFirstToken().toNanos();
                    finished.complete(null);
                }

                @Override
                public void onError(MoeMeshException error) {
                    finished.completeExceptionally(error);
                }
            });
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        return new Round((System.nanoTime() - start) / 1e9, trim(arrivals, seen), routerTtft);
    }

    /** Busy and total CPU ticks of the whole machine since boot ({@code /proc/stat}); null where there is none. */
    static long[] machineCpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle and iowait
            return new long[] {total - idle, total};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static long[][] trim(long[][] arrivals, int[] seen) {
        long[][] out = new long[arrivals.length][];
        for (int i = 0; i < arrivals.length; i++) {
            out[i] = Arrays.copyOf(arrivals[i], seen[i]);
        }
        return out;
    }

    /** The rounds of one path at one stream count. */
    private static final class Level {
        private double seconds;
        private long tokens;
        private final List<Long> ttft = new ArrayList<>();
        private final List<Long> gaps = new ArrayList<>();
        private final List<Long> routerTtft = new ArrayList<>();

        void add(Round round) {
            seconds += round.seconds();
            for (long t : round.routerTtft()) {
                routerTtft.add(t);
            }
            for (long[] stream : round.arrivals()) {
                tokens += stream.length;
                if (stream.length > 0) {
                    ttft.add(stream[0]);
                }
                for (int k = 1; k < stream.length; k++) {
                    gaps.add(stream[k] - stream[k - 1]);
                }
            }
        }

        Map<String, Object> row(String path, int streams) {
            long[] t = ttft.stream().mapToLong(Long::longValue).toArray();
            long[] g = gaps.stream().mapToLong(Long::longValue).toArray();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", path);
            row.put("streams", streams);
            row.put("tokens", tokens);
            row.put("seconds", seconds);
            row.put("tokens_per_s", tokens / seconds);
            row.put("ttft_p50_ms", Measurements.quantile(t, 0.5) / 1e6);
            row.put("ttft_p99_ms", Measurements.quantile(t, 0.99) / 1e6);
            row.put("itl_p50_ms", g.length == 0 ? Double.NaN : Measurements.quantile(g, 0.5) / 1e6);
            row.put("itl_p99_ms", g.length == 0 ? Double.NaN : Measurements.quantile(g, 0.99) / 1e6);
            if (!routerTtft.isEmpty()) { // what of the TTFT the router measured: admission to first token
                row.put("router_ttft_p50_ms", Measurements.quantile(
                        routerTtft.stream().mapToLong(Long::longValue).toArray(), 0.5) / 1e6);
            }
            return row;
        }
    }

    /** The markdown table of docs/performance.md: one row per stream count, both paths and their ratio. */
    static String table(List<Map<String, Object>> rows) {
        StringBuilder out = new StringBuilder("""
                | streams | in-process tok/s | distributed tok/s | ratio | TTFT p50 ms in / dist | ITL p50 ms in / dist | ITL p99 ms in / dist | layer step p50 ms | endpoints per step |
                | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                """);
        for (Map<String, Object> d : rows) {
            if (!"distributed".equals(d.get("path"))) {
                continue;
            }
            Map<String, Object> in = rows.stream().filter(r -> "in-process".equals(r.get("path"))
                    && r.get("streams").equals(d.get("streams"))).findFirst().orElse(Map.of());
            out.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %s | %s / %.1f | %s / %.2f | %s / %.2f | %s | %s |%n",
                    (Integer) d.get("streams"), fmt(in.get("tokens_per_s"), "%.0f"), (Double) d.get("tokens_per_s"),
                    in.isEmpty() ? "–" : String.format(Locale.ROOT, "%.2f×",
                            (Double) d.get("tokens_per_s") / (Double) in.get("tokens_per_s")),
                    fmt(in.get("ttft_p50_ms"), "%.1f"), (Double) d.get("ttft_p50_ms"),
                    fmt(in.get("itl_p50_ms"), "%.2f"), (Double) d.get("itl_p50_ms"),
                    fmt(in.get("itl_p99_ms"), "%.2f"), (Double) d.get("itl_p99_ms"),
                    fmt(d.get("layer_step_p50_ms"), "%.2f"), fmt(d.get("endpoints_per_layer_step"), "%.1f")));
        }
        return out.toString();
    }

    /** Where a distributed decode step's time went, per stream count (router counters, ms per step). */
    static String breakdownTable(List<Map<String, Object>> rows) {
        StringBuilder out = new StringBuilder("""
                | streams | batch step ms | tokens per step | dense ms | 4 MoE layer steps ms | sample + deliver ms | layer step: send / wait / merge ms | of the wait: slowest expert / network path ms | router TTFT p50 ms | machine CPU busy |
                | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
                """);
        for (Map<String, Object> d : rows) {
            if (!"distributed".equals(d.get("path")) || !d.containsKey("batch_step_ms")) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s | %s | %s |%n",
                    (Integer) d.get("streams"), fmt(d.get("batch_step_ms"), "%.2f"),
                    fmt(d.get("tokens_per_batch_step"), "%.1f"), fmt(d.get("dense_ms"), "%.2f"),
                    fmt(d.get("moe_layers_ms"), "%.2f"), fmt(d.get("sample_and_deliver_ms"), "%.2f"),
                    fmt(d.get("layer_send_ms"), "%.3f"), fmt(d.get("layer_wait_ms"), "%.3f"),
                    fmt(d.get("layer_merge_ms"), "%.3f"), fmt(d.get("layer_expert_ms"), "%.3f"),
                    fmt(d.get("layer_network_ms"), "%.3f"), fmt(d.get("router_ttft_p50_ms"), "%.1f"),
                    fmt(d.get("machine_cpu_busy") instanceof Double b ? b * 100 : null, "%.0f%%")));
        }
        return out.toString();
    }

    private static String fmt(Object value, String format) {
        return value instanceof Number n ? String.format(Locale.ROOT, format, n.doubleValue()) : "–";
    }

    private record Args(Path model, String gateway, Path out, int[] streams, int tokens, int rounds, int warmupSeconds,
            String router, Path apiKeyFile, String label, boolean inProcessOnly, boolean distributedOnly) {

        MoeMeshClient client() {
            return EndToEndHarness.gatewayClient(gateway, apiKeyFile, null);
        }

        static Args parse(String[] args) {
            List<String> positional = new ArrayList<>();
            Map<String, String> options = new LinkedHashMap<>(Map.of("streams", "1,8,32,128", "tokens", "64",
                    "rounds", "3", "warmup-seconds", "300", "router", "127.0.0.1:50056", "label", ""));
            boolean inOnly = false;
            boolean distOnly = false;
            for (String arg : args) {
                if (arg.equals("--in-process-only")) {
                    inOnly = true;
                } else if (arg.equals("--distributed-only")) {
                    distOnly = true;
                } else if (arg.startsWith("--") && arg.contains("=")) {
                    String key = arg.substring(2, arg.indexOf('='));
                    if (!options.containsKey(key) && !key.equals("api-key-file")) {
                        throw new IllegalArgumentException("unknown option " + arg + "; known: --streams= --tokens="
                                + " --rounds= --warmup-seconds= --router= --api-key-file= --label="
                                + " --in-process-only --distributed-only");
                    }
                    options.put(key, arg.substring(arg.indexOf('=') + 1));
                } else {
                    positional.add(arg);
                }
            }
            if (positional.size() != 3) {
                throw new IllegalArgumentException("usage: MODEL_DIR GATEWAY(host:port) OUT.json [--streams=1,8,32,128]"
                        + " [--tokens=64] [--rounds=3] [--warmup-seconds=300] [--router=HOST:PORT] [--api-key-file=FILE]");
            }
            Path key = options.containsKey("api-key-file") ? Path.of(options.get("api-key-file"))
                    : Files.isRegularFile(EndToEndHarness.MOE_UP_KEY) ? EndToEndHarness.MOE_UP_KEY : null;
            return new Args(Path.of(positional.get(0)), positional.get(1), Path.of(positional.get(2)),
                    Arrays.stream(options.get("streams").split(",")).mapToInt(Integer::parseInt).toArray(),
                    Integer.parseInt(options.get("tokens")), Integer.parseInt(options.get("rounds")),
                    Integer.parseInt(options.get("warmup-seconds")), options.get("router"), key, options.get("label"),
                    inOnly, distOnly);
        }
    }
}
