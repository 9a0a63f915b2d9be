package io.moemesh.bench.harness;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Decode throughput and time to first token through a running gateway (e.g. {@code moe up}) with
 * 1, 8 and 32 concurrent streams. Time to first token is the server's own measurement (router
 * admission to first token), so it excludes the client's channel set-up. Around each run it reads
 * the router's cumulative dispatch traffic (the routing-statistics RPC, {@code --router}, default
 * {@code moe up}'s router port) and adds the run's remote calls and bytes per token per layer; a
 * router that cannot be asked leaves those columns out. The counters are the router's, so traffic
 * from other clients during a run is counted too.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness \
 *     GATEWAY(host:port) OUT.json [streams,...] [max_tokens] [--router=host:port] [--warmup-runs=N]</pre>
 */
public final class EndToEndHarness {

    private static final String ROUTER_FLAG = "--router=";
    private static final String WARMUP_FLAG = "--warmup-runs=";
    private static final List<String> PROMPTS = List.of("The meaning of life is ", "Der Mensch ist ", "El amor es ",
            "La vita è ", "Жизнь — это ", "Życie jest ", "Život je ", "A vida é ");

    public static void main(String[] args) {
        Args a = Args.parse(args);
        List<Map<String, Object>> rows = new ArrayList<>();
        try (MoeMeshClient client = MoeMeshClient.builder().target(a.gateway()).defaultDeadline(Duration.ofMinutes(10))
                .build(); DispatchTrafficClient traffic = DispatchTrafficClient.connect(a.router())) {
            run(client, 2, a.maxTokens()); // warm-up: JIT of router and experts
            for (int i = 0; i < a.warmupRuns(); i++) {
                run(client, 16, a.maxTokens());
            }
            for (int streams : a.streams()) {
                Optional<DispatchTraffic> before = traffic.read();
                Map<String, Object> row = run(client, streams, a.maxTokens());
                before.ifPresent(b -> traffic.read().ifPresent(after -> row.putAll(
                        DispatchTrafficClient.between(b, after))));
                rows.add(row);
                System.out.println(row);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "end-to-end-decode");
        result.put("when", Instant.now().toString());
        result.put("gateway", a.gateway());
        result.put("router", a.router());
        result.put("max_tokens", a.maxTokens());
        result.put("warmup_runs", a.warmupRuns());
        result.put("machine", Measurements.machine());
        result.put("results", rows);
        Measurements.write(a.out(), result);
    }

    /**
     * {@code GATEWAY OUT.json [streams,...] [max_tokens]}, and anywhere {@code --router=host:port} and
     * {@code --warmup-runs=N} (extra warm-up runs of 16 streams before measuring; default 0).
     */
    record Args(String gateway, Path out, int[] streams, int maxTokens, String router, int warmupRuns) {

        static Args parse(String[] args) {
            List<String> positional = new ArrayList<>();
            String router = "127.0.0.1:50052"; // moe up's default --router-port
            int warmupRuns = 0;
            for (String arg : args) {
                if (arg.startsWith(ROUTER_FLAG)) {
                    router = arg.substring(ROUTER_FLAG.length());
                } else if (arg.startsWith(WARMUP_FLAG)) {
                    warmupRuns = Integer.parseInt(arg.substring(WARMUP_FLAG.length()));
                } else if (arg.startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + arg
                            + "; known: --router=HOST:PORT, --warmup-runs=N");
                } else {
                    positional.add(arg);
                }
            }
            if (positional.size() < 2) {
                throw new IllegalArgumentException("usage: GATEWAY(host:port) OUT.json [streams,...] [max_tokens]"
                        + " [--router=host:port]");
            }
            int[] streams = Arrays.stream((positional.size() > 2 ? positional.get(2) : "1,8,32").split(","))
                    .mapToInt(Integer::parseInt).toArray();
            int maxTokens = positional.size() > 3 ? Integer.parseInt(positional.get(3)) : 64;
            return new Args(positional.get(0), Path.of(positional.get(1)), streams, maxTokens, router, warmupRuns);
        }
    }

    private static Map<String, Object> run(MoeMeshClient client, int streams, int maxTokens) {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long start = System.nanoTime();
            List<CompletableFuture<GenerationResult>> calls = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                GenerateOptions options = GenerateOptions.builder().prompt(PROMPTS.get(i % PROMPTS.size()))
                        .maxTokens(maxTokens).ignoreEos(true).temperature(0.8f).seed(i).build();
                calls.add(CompletableFuture.supplyAsync(() -> client.generate(options), pool));
            }
            List<GenerationResult> results = calls.stream().map(CompletableFuture::join).toList();
            double seconds = (System.nanoTime() - start) / 1e9;
            long tokens = results.stream().mapToLong(r -> r.tokenIds().size()).sum();
            long[] ttft = results.stream().mapToLong(r -> r.usage().timeToFirstToken().toNanos()).toArray();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("streams", streams);
            row.put("tokens", tokens);
            row.put("seconds", seconds);
            row.put("decode_tokens_per_s", Math.round(tokens / seconds));
            row.put("ttft_p50_ms", Measurements.quantile(ttft, 0.5) / 1e6);
            row.put("ttft_p99_ms", Measurements.quantile(ttft, 0.99) / 1e6);
            row.put("degraded", results.stream().filter(GenerationResult::degraded).count());
            return row;
        } finally {
            pool.shutdownNow();
        }
    }
}
