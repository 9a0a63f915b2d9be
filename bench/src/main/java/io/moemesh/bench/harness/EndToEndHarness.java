package io.moemesh.bench.harness;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Decode throughput and time to first token through a running gateway (e.g. {@code moe up}) with
 * 1, 8 and 32 concurrent streams. Time to first token is the server's own measurement (router
 * admission to first token), so it excludes the client's channel set-up.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness \
 *     GATEWAY(host:port) OUT.json [streams,...] [max_tokens]</pre>
 */
public final class EndToEndHarness {

    private static final List<String> PROMPTS = List.of("The meaning of life is ", "Der Mensch ist ", "El amor es ",
            "La vita è ", "Жизнь — это ", "Życie jest ", "Život je ", "A vida é ");

    public static void main(String[] args) {
        String gateway = args[0];
        Path out = Path.of(args[1]);
        int[] streamCounts = Arrays.stream((args.length > 2 ? args[2] : "1,8,32").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int maxTokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        List<Map<String, Object>> rows = new ArrayList<>();
        try (MoeMeshClient client = MoeMeshClient.builder().target(gateway).defaultDeadline(Duration.ofMinutes(10))
                .build()) {
            run(client, 2, maxTokens); // warm-up: JIT of router and experts
            for (int streams : streamCounts) {
                Map<String, Object> row = run(client, streams, maxTokens);
                rows.add(row);
                System.out.println(row);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "end-to-end-decode");
        result.put("when", Instant.now().toString());
        result.put("gateway", gateway);
        result.put("max_tokens", maxTokens);
        result.put("machine", Measurements.machine());
        result.put("results", rows);
        Measurements.write(out, result);
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
