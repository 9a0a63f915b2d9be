package io.moemesh.bench.harness;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationListener;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshException;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.TextChunk;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import java.nio.file.Files;
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

/**
 * Decode throughput and time to first token through a running gateway (e.g. {@code moe up}) with
 * 1, 8 and 32 concurrent streams. Time to first token is the server's own measurement (router
 * admission to first token), so it excludes the client's channel set-up. Around each run it reads
 * the router's cumulative dispatch traffic (the routing-statistics RPC on the router's internal port,
 * {@code --router}, default {@code moe up}'s router internal port) and adds the run's remote calls and bytes per token per layer; a
 * router that cannot be asked leaves those columns out. The counters are the router's, so traffic
 * from other clients during a run is counted too.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness \
 *     GATEWAY(host:port) OUT.json [streams,...] [max_tokens] [--router=host:port] [--warmup-runs=N]
 *     [--api-key-file=FILE] [--ca-cert=FILE]</pre>
 *
 * <p>The API key comes from {@code --api-key-file}, by default {@code .moe/api-key} (the key of the
 * cluster {@code moe up} started in this directory) when it exists; it goes over plaintext to a
 * loopback gateway only, and over TLS with {@code --ca-cert} (the CA that issued the gateway's certificate).
 */
public final class EndToEndHarness {

    private static final String ROUTER_FLAG = "--router=";
    private static final String WARMUP_FLAG = "--warmup-runs=";
    private static final String PROMPTS_FLAG = "--prompts=";
    private static final String API_KEY_FILE_FLAG = "--api-key-file=";
    private static final String CA_CERT_FLAG = "--ca-cert=";
    /** Where {@code moe up} (default {@code --state-dir}) writes its gateway's key. */
    static final Path MOE_UP_KEY = Path.of(".moe", "api-key");
    /** Characters of a held-out document used as a prompt (cut back to a word boundary). */
    private static final int PROMPT_CHARS = 96;
    /** The split of the evaluation that wrote the plan files (docs/placement.md: --docs-per-lang=200). */
    private static final int SPLIT_DOCS_PER_LANG = 200;
    static final List<String> PROMPTS = List.of("The meaning of life is ", "Der Mensch ist ", "El amor es ",
            "La vita è ", "Жизнь — это ", "Życie jest ", "Život je ", "A vida é ");

    public static void main(String[] args) {
        Args a = Args.parse(args);
        List<String> prompts = a.prompts() == null ? PROMPTS : heldOutPrompts(a.prompts());
        int[] next = {0}; // successive runs continue through the prompts
        List<Map<String, Object>> rows = new ArrayList<>();
        try (MoeMeshClient client = a.client(); DispatchTrafficClient traffic = DispatchTrafficClient.connect(a.router())) {
            run(client, 2, a.maxTokens(), prompts, next); // warm-up: JIT of router and experts
            for (int i = 0; i < a.warmupRuns(); i++) {
                run(client, 16, a.maxTokens(), prompts, next);
            }
            for (int streams : a.streams()) {
                Optional<DispatchTraffic> before = traffic.read();
                Map<String, Object> row = run(client, streams, a.maxTokens(), prompts, next);
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
        result.put("prompts", a.prompts() == null ? "built-in, 8 languages"
                : a.prompts() + ": score half of PlacementEvaluation's split, first " + PROMPT_CHARS + " chars, "
                        + prompts.size() + " prompts");
        result.put("machine", Measurements.machine());
        result.put("results", rows);
        Measurements.write(a.out(), result);
    }

    /**
     * A client of the benchmark's gateway: the key from {@code apiKeyFile} (plaintext to a loopback
     * gateway only), TLS verified against {@code caCert} when given; both may be null.
     */
    static MoeMeshClient gatewayClient(String gateway, Path apiKeyFile, Path caCert) {
        MoeMeshClient.Builder client = MoeMeshClient.builder().target(gateway).allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofMinutes(10));
        if (apiKeyFile != null) {
            client.apiKeyFile(apiKeyFile);
        }
        if (caCert != null) {
            client.tls(caCert);
        }
        return client.build();
    }

    /**
     * {@code GATEWAY OUT.json [streams,...] [max_tokens]}, and anywhere {@code --router=host:port} and
     * {@code --warmup-runs=N} (extra warm-up runs of 16 streams before measuring; default 0).
     */
    record Args(String gateway, Path out, int[] streams, int maxTokens, String router, int warmupRuns, Path prompts,
            Path apiKeyFile, Path caCert) {

        MoeMeshClient client() {
            return gatewayClient(gateway, apiKeyFile, caCert);
        }

        static Args parse(String[] args) {
            List<String> positional = new ArrayList<>();
            String router = "127.0.0.1:50056"; // moe up's default --router-internal-port (RoutingStats)
            int warmupRuns = 0;
            Path prompts = null;
            Path apiKeyFile = Files.isRegularFile(MOE_UP_KEY) ? MOE_UP_KEY : null;
            Path caCert = null;
            for (String arg : args) {
                if (arg.startsWith(ROUTER_FLAG)) {
                    router = arg.substring(ROUTER_FLAG.length());
                } else if (arg.startsWith(WARMUP_FLAG)) {
                    warmupRuns = Integer.parseInt(arg.substring(WARMUP_FLAG.length()));
                } else if (arg.startsWith(PROMPTS_FLAG)) {
                    prompts = Path.of(arg.substring(PROMPTS_FLAG.length()));
                } else if (arg.startsWith(API_KEY_FILE_FLAG)) {
                    apiKeyFile = Path.of(arg.substring(API_KEY_FILE_FLAG.length()));
                } else if (arg.startsWith(CA_CERT_FLAG)) {
                    caCert = Path.of(arg.substring(CA_CERT_FLAG.length()));
                } else if (arg.startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + arg + "; known: --router=HOST:PORT, "
                            + "--warmup-runs=N, --prompts=HELDOUT.jsonl, --api-key-file=FILE, --ca-cert=FILE");
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
            return new Args(positional.get(0), Path.of(positional.get(1)), streams, maxTokens, router, warmupRuns,
                    prompts, apiKeyFile, caCert);
        }
    }

    /**
     * Prompts from the held-out corpus: the documents PlacementEvaluation scores on (not those its
     * plans were made from), languages interleaved, each cut to its first words.
     */
    static List<String> heldOutPrompts(Path jsonl) {
        List<PlacementEvaluation.Doc> docs = PlacementEvaluation.split(PlacementEvaluation.readJsonl(jsonl),
                SPLIT_DOCS_PER_LANG).score();
        Map<String, List<String>> byLang = new java.util.TreeMap<>();
        for (PlacementEvaluation.Doc d : docs) {
            byLang.computeIfAbsent(d.lang(), k -> new ArrayList<>()).add(opening(d.text()));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < docs.size(); i++) {
            for (List<String> lang : byLang.values()) {
                if (i < lang.size()) {
                    out.add(lang.get(i));
                }
            }
        }
        return out;
    }

    /** The first {@link #PROMPT_CHARS} characters with whitespace collapsed, cut back to a word boundary. */
    static String opening(String text) {
        String flat = text.strip().replaceAll("\\s+", " ");
        if (flat.length() <= PROMPT_CHARS) {
            return flat;
        }
        int cut = flat.lastIndexOf(' ', PROMPT_CHARS);
        return flat.substring(0, cut > 0 ? cut + 1 : PROMPT_CHARS);
    }

    private static Map<String, Object> run(MoeMeshClient client, int streams, int maxTokens, List<String> prompts,
            int[] next) {
        long start = System.nanoTime();
        List<TimedStream> calls = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            GenerateOptions options = GenerateOptions.builder().prompt(prompts.get(next[0]++ % prompts.size()))
                    .maxTokens(maxTokens).ignoreEos(true).temperature(0.8f).seed(i).build();
            TimedStream call = new TimedStream();
            client.stream(options, call);
            calls.add(call);
        }
        List<GenerationResult> results = calls.stream().map(c -> c.done.join()).toList();
        double seconds = (System.nanoTime() - start) / 1e9;
        long tokens = results.stream().mapToLong(r -> r.tokenIds().size()).sum();
        long[] ttft = results.stream().mapToLong(r -> r.usage().timeToFirstToken().toNanos()).toArray();
        long[] gaps = calls.stream().flatMapToLong(c -> c.gaps.stream().mapToLong(Long::longValue)).toArray();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("streams", streams);
        row.put("tokens", tokens);
        row.put("seconds", seconds);
        row.put("decode_tokens_per_s", Math.round(tokens / seconds));
        row.put("ttft_p50_ms", Measurements.quantile(ttft, 0.5) / 1e6);
        row.put("ttft_p99_ms", Measurements.quantile(ttft, 0.99) / 1e6);
        row.put("client_ttft_p50_ms", Measurements.quantile(calls.stream().mapToLong(c -> c.firstText).toArray(), 0.5)
                / 1e6);
        if (gaps.length > 0) {
            row.put("inter_token_p50_ms", Measurements.quantile(gaps, 0.5) / 1e6);
            row.put("inter_token_p99_ms", Measurements.quantile(gaps, 0.99) / 1e6);
        }
        row.put("degraded", results.stream().filter(GenerationResult::degraded).count());
        return row;
    }

    /**
     * One streaming generation and the gaps between its tokens as the client receives them: a chunk of
     * k tokens that arrives g after the previous chunk counts as k gaps of g / k.
     */
    private static final class TimedStream implements GenerationListener {

        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final List<Long> gaps = new ArrayList<>();
        private final long started = System.nanoTime();
        /** From the call to its first chunk with text, as the client sees it (OpenAiHarness measures the same). */
        volatile long firstText = -1;
        private long last = -1;

        @Override
        public void onChunk(TextChunk chunk) {
            long now = System.nanoTime();
            if (firstText < 0 && !chunk.text().isEmpty()) {
                firstText = now - started;
            }
            int k = chunk.tokenIds().size();
            if (last >= 0 && k > 0) {
                for (int i = 0; i < k; i++) {
                    gaps.add((now - last) / k);
                }
            }
            if (k > 0) {
                last = now;
            }
        }

        @Override
        public void onComplete(GenerationResult result) {
            done.complete(result);
        }

        @Override
        public void onError(MoeMeshException error) {
            done.completeExceptionally(error);
        }
    }
}
