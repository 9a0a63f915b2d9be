package io.moemesh.bench.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link EndToEndHarness}'s decode measurement through the gateway's OpenAI-compatible HTTP API:
 * the same prompts, sampling (temperature 0.8, seed = stream index, {@code ignore_eos}) and
 * concurrency, each stream a streaming {@code /v1/completions} request with
 * {@code stream_options.include_usage}, read by the JDK's HTTP client. Decode tokens/s is the usage's
 * completion tokens over the run's wall time; time to first token is the router's own
 * ({@code moemesh.time_to_first_token_ms}) as in EndToEndHarness, and beside it the client's (to the
 * first chunk with text), whose difference is what the HTTP edge adds.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.OpenAiHarness \
 *     BASE_URL(http://127.0.0.1:8000/v1) OUT.json [streams,...] [max_tokens] [--api-key-file=FILE]</pre>
 */
public final class OpenAiHarness {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] args) throws IOException {
        List<String> positional = new ArrayList<>();
        Path keyFile = EndToEndHarness.MOE_UP_KEY;
        for (String arg : args) {
            if (arg.startsWith("--api-key-file=")) {
                keyFile = Path.of(arg.substring("--api-key-file=".length()));
            } else {
                positional.add(arg);
            }
        }
        if (positional.size() < 2) {
            throw new IllegalArgumentException("usage: BASE_URL OUT.json [streams,...] [max_tokens] [--api-key-file=FILE]");
        }
        String base = positional.get(0);
        int[] streams = Arrays.stream((positional.size() > 2 ? positional.get(2) : "1,8,32").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int maxTokens = positional.size() > 3 ? Integer.parseInt(positional.get(3)) : 64;
        String key = Files.readString(keyFile).strip();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            int[] next = {0};
            run(http, base, key, 2, maxTokens, next); // warm-up, as EndToEndHarness
            for (int n : streams) {
                Map<String, Object> row = run(http, base, key, n, maxTokens, next);
                rows.add(row);
                System.out.println(row);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "end-to-end-decode-openai-http");
        result.put("when", Instant.now().toString());
        result.put("base_url", base);
        result.put("max_tokens", maxTokens);
        result.put("machine", Measurements.machine());
        result.put("results", rows);
        Measurements.write(Path.of(positional.get(1)), result);
    }

    /** One stream's outcome: completion tokens, router TTFT, client TTFT (nanoseconds). */
    private record Outcome(long tokens, long routerTtft, long clientTtft) {
    }

    private static Map<String, Object> run(HttpClient http, String base, String key, int streams, int maxTokens,
            int[] next) {
        long start = System.nanoTime();
        List<CompletableFuture<Outcome>> calls = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("prompt", EndToEndHarness.PROMPTS.get(next[0]++ % EndToEndHarness.PROMPTS.size()));
            body.put("max_tokens", maxTokens);
            body.put("temperature", 0.8);
            body.put("seed", i);
            body.put("ignore_eos", true);
            body.put("stream", true);
            body.put("stream_options", Map.of("include_usage", true));
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/completions"))
                    .timeout(Duration.ofMinutes(10)).header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
            long sent = System.nanoTime();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                    .thenApply(response -> read(response, sent)));
        }
        List<Outcome> outcomes = calls.stream().map(CompletableFuture::join).toList();
        double seconds = (System.nanoTime() - start) / 1e9;
        long tokens = outcomes.stream().mapToLong(Outcome::tokens).sum();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("streams", streams);
        row.put("tokens", tokens);
        row.put("seconds", seconds);
        row.put("decode_tokens_per_s", Math.round(tokens / seconds));
        row.put("ttft_p50_ms", Measurements.quantile(outcomes.stream().mapToLong(Outcome::routerTtft).toArray(), 0.5) / 1e6);
        row.put("client_ttft_p50_ms",
                Measurements.quantile(outcomes.stream().mapToLong(Outcome::clientTtft).toArray(), 0.5) / 1e6);
        return row;
    }

    private static Outcome read(HttpResponse<Stream<String>> response, long sent) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": "
                    + String.join("\n", response.body().toList()));
        }
        long[] firstText = {-1};
        long[] routerTtft = {0};
        long[] tokens = {0};
        response.body().filter(line -> line.startsWith("data: {")).forEach(line -> {
            JsonNode chunk = JSON.readTree(line.substring(6));
            if (firstText[0] < 0 && !chunk.at("/choices/0/text").asString("").isEmpty()) {
                firstText[0] = System.nanoTime() - sent;
            }
            if (chunk.has("moemesh")) {
                routerTtft[0] = (long) (chunk.at("/moemesh/time_to_first_token_ms").asDouble() * 1e6);
            }
            if (chunk.has("usage") && !chunk.get("usage").isNull()) {
                tokens[0] = chunk.at("/usage/completion_tokens").asLong();
            }
        });
        return new Outcome(tokens[0], routerTtft[0], firstText[0]);
    }
}
