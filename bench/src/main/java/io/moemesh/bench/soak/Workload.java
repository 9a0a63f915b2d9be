package io.moemesh.bench.soak;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.moemesh.client.GenerateOptions;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.SamplingParams;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The soak's traffic: weighted variants of normal, cancelled, slow-reading, over-long and invalid
 * requests, bursts over the gateway's rate limit, and the final exactness check. Every variant
 * names the outcomes it expects; RESOURCE_EXHAUSTED is expected of every variant during the run,
 * because one burst spends the rate limit that every caller of {@code moe up} shares.
 */
final class Workload {

    /** One kind of request; {@code start} makes one call and completes when it ended. */
    record Variant(String kind, String name, double weight, Function<RandomGenerator, CompletableFuture<Void>> start) {
    }

    /** The gateway caps every call's deadline at its default-deadline (60 s), so none asks for more. */
    static final Duration NORMAL_DEADLINE = Duration.ofSeconds(60);
    private static final Duration REFUSAL_DEADLINE = Duration.ofSeconds(20);
    private static final int LONG = 400;
    private static final String OVER_BYTES_PROMPT = "a".repeat(40_000);
    private static final String OVER_MESSAGE_PROMPT = "a".repeat(5 << 20);
    private static final String OVER_CONTEXT_PROMPT = "The meaning of life is not what it seems. ".repeat(120);
    private static final ByteString INVALID_UTF8 = ByteString.copyFrom(new byte[] {'o', 'k', (byte) 0xC3, '(', '!'});

    private final Calls calls;
    private final References refs;
    private final List<Variant> variants = new ArrayList<>();
    private final double totalWeight;

    Workload(Calls calls, References refs) {
        this.calls = calls;
        this.refs = refs;
        normal();
        cancelled();
        slow();
        overLong();
        invalid();
        totalWeight = variants.stream().mapToDouble(Variant::weight).sum();
    }

    Variant pick(RandomGenerator random) {
        double at = random.nextDouble(totalWeight);
        for (Variant v : variants) {
            at -= v.weight();
            if (at < 0) {
                return v;
            }
        }
        return variants.getLast();
    }

    List<Variant> variants() {
        return List.copyOf(variants);
    }

    /**
     * {@code size} calls at once, started from every thread of {@code launchers} so that they leave
     * within a fraction of a second even on a busy machine: refused requests (no prompt) that cost
     * the router nothing, and one in fifty a 4-token greedy request; more than the rate limit allows
     * in a second.
     */
    CompletableFuture<Void> burst(int size, RandomGenerator random, ForkJoinPool launchers) {
        String[] prompts = IntStream.range(0, size).mapToObj(i -> prompt(random)).toArray(String[]::new);
        List<CompletableFuture<Void>> started = launchers.submit(() -> IntStream.range(0, size).parallel()
                .mapToObj(i -> burstCall(i, prompts[i])).toList()).join();
        return all(started.stream());
    }

    private CompletableFuture<Void> burstCall(int i, String prompt) {
        Set<String> expected = Set.of("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "OK");
        if (i % 50 == 0) {
            return calls.sdk("burst", "tiny", greedy(prompt, 4).deadline(REFUSAL_DEADLINE).build(), expected,
                    References.prefix(refs.greedy(prompt), 4), 0);
        }
        return calls.sdk("burst", "no-prompt", GenerateOptions.builder().maxTokens(4).deadline(REFUSAL_DEADLINE)
                .build(), expected, Calls.Verdict.ANY, 0);
    }

    /** Every greedy and sampled prompt at once, exactly; nothing else should be running. */
    CompletableFuture<Void> exactCheck(String kind) {
        Set<String> ok = Set.of("OK");
        return all(References.PROMPTS.stream().flatMap(p -> Stream.concat(
                Stream.of(calls.sdk(kind, "greedy", greedy(p, References.NORMAL_TOKENS).build(), ok,
                        References.exactly(refs.greedy(p)), 0)),
                java.util.Arrays.stream(References.SEEDS).mapToObj(seed -> calls.sdk(kind, "sampled",
                        sampled(p, seed).build(), ok, References.exactly(refs.sampled(p, seed)), 0)))));
    }

    private void normal() {
        Set<String> ok = expect("OK");
        add("normal", "greedy", 30, r -> {
            String p = prompt(r);
            return calls.sdk(CallLedger.NORMAL, "greedy", greedy(p, References.NORMAL_TOKENS).build(), ok,
                    References.exactly(refs.greedy(p)), 0);
        });
        add("normal", "sampled", 14, r -> {
            String p = prompt(r);
            long seed = References.SEEDS[r.nextInt(References.SEEDS.length)];
            return calls.sdk(CallLedger.NORMAL, "sampled", sampled(p, seed).build(), ok,
                    References.exactly(refs.sampled(p, seed)), 0);
        });
    }

    private void cancelled() {
        Set<String> cancelled = expect("CANCELLED");
        add("cancel", "after-chunks", 8, r -> calls.sdk("cancel", "after-chunks", greedy(prompt(r), LONG).build(),
                cancelled, Calls.Verdict.ANY, 1 + r.nextInt(8)));
        add("cancel", "at-once", 3, r -> calls.sdk("cancel", "at-once", greedy(prompt(r), LONG).build(), cancelled,
                Calls.Verdict.ANY, -1));
        // ~500 tokens (to the end of the context) take 1.5 s or more even on a quiet machine at a
        // 3 ms step, so a deadline of 0.2-1.0 s expires mid-generation
        add("cancel", "deadline", 3, r -> calls.sdk("cancel", "deadline", greedy(prompt(r),
                References.PAST_CONTEXT_MAX_TOKENS).deadline(Duration.ofMillis(200 + r.nextInt(800))).build(),
                expect("DEADLINE_EXCEEDED"), Calls.Verdict.ANY, 0));
    }

    private void slow() {
        add("slow", "reader", 5, r -> {
            String p = prompt(r);
            return calls.paced("slow", "reader", request(p, References.NORMAL_TOKENS), NORMAL_DEADLINE, expect("OK"),
                    new Calls.Pace(Duration.ofMillis(100), 0, null), References.exactly(refs.greedy(p)));
        });
        add("slow", "never-reads", 2, r -> calls.paced("slow", "never-reads", request(prompt(r), LONG),
                Duration.ofSeconds(10), expect("DEADLINE_EXCEEDED"), new Calls.Pace(null, 0, null), Calls.Verdict.ANY));
        add("slow", "stops-reading", 2, r -> calls.paced("slow", "stops-reading", request(prompt(r), LONG),
                Duration.ofSeconds(30), expect("CANCELLED"), new Calls.Pace(Duration.ofMillis(20), 3,
                        Duration.ofSeconds(5)), Calls.Verdict.ANY));
    }

    private void overLong() {
        Set<String> invalid = expect("INVALID_ARGUMENT");
        add("overlong", "past-context", 1, r -> calls.sdk("overlong", "past-context",
                greedy(References.PAST_CONTEXT_PROMPT, References.PAST_CONTEXT_MAX_TOKENS).build(),
                expect("OK", "DEADLINE_EXCEEDED"), References.exactly(refs.pastContext()), 0));
        add("overlong", "near-context", 2, r -> calls.sdk("overlong", "near-context", GenerateOptions.builder()
                .promptIds(refs.nearContextIds()).maxTokens(References.NEAR_CONTEXT_MAX_TOKENS).ignoreEos(true)
                .deadline(NORMAL_DEADLINE).build(), expect("OK"), References.exactly(refs.nearContext()), 0));
        add("overlong", "max-tokens-over-limit", 2, r -> refused("overlong", "max-tokens-over-limit",
                greedy(prompt(r), 5000), invalid));
        add("overlong", "prompt-over-bytes", 2, r -> refused("overlong", "prompt-over-bytes",
                greedy(OVER_BYTES_PROMPT, 8), invalid));
        add("overlong", "prompt-over-context", 2, r -> refused("overlong", "prompt-over-context",
                greedy(OVER_CONTEXT_PROMPT, 8), invalid));
        add("overlong", "prompt-ids-over-limit", 1, r -> refused("overlong", "prompt-ids-over-limit",
                GenerateOptions.builder().promptIds(IntStream.range(0, 9000).map(i -> 300).boxed().toList())
                        .maxTokens(8), invalid));
        add("overlong", "message-over-4mib", 0.3, r -> refused("overlong", "message-over-4mib",
                greedy(OVER_MESSAGE_PROMPT, 8), expect("RESOURCE_EXHAUSTED")));
    }

    private void invalid() {
        Set<String> invalid = expect("INVALID_ARGUMENT");
        add("invalid", "top-p", 2, r -> refused("invalid", "top-p", greedy(prompt(r), 8).topP(1.5f), invalid));
        add("invalid", "temperature", 2, r -> refused("invalid", "temperature", greedy(prompt(r), 8)
                .temperature(-1f), invalid));
        add("invalid", "top-k", 1, r -> refused("invalid", "top-k", greedy(prompt(r), 8).topK(-1), invalid));
        add("invalid", "no-prompt", 2, r -> refused("invalid", "no-prompt", GenerateOptions.builder().maxTokens(8),
                invalid));
        add("invalid", "too-many-stops", 1, r -> refused("invalid", "too-many-stops", greedy(prompt(r), 8)
                .stop(IntStream.range(0, 9).mapToObj(i -> "s" + i).toList()), invalid));
        add("invalid", "request-id", 1, r -> refused("invalid", "request-id", greedy(prompt(r), 8)
                .requestId("has spaces"), invalid));
        add("invalid", "unknown-model", 1, r -> refused("invalid", "unknown-model", greedy(prompt(r), 8)
                .model("no-such-model"), expect("NOT_FOUND")));
        add("invalid", "id-outside-vocab", 1, r -> refused("invalid", "id-outside-vocab", GenerateOptions.builder()
                .promptIds(List.of(5, 99_999)).maxTokens(8), invalid));
        add("invalid", "raw-invalid-utf8", 2, r -> calls.bytes("invalid", "raw-invalid-utf8",
                message(out -> out.writeBytes(2, INVALID_UTF8)), REFUSAL_DEADLINE, invalid));
        add("invalid", "raw-garbage", 2, r -> {
            byte[] garbage = new byte[1 + r.nextInt(256)];
            r.nextBytes(garbage);
            // random bytes may happen to parse (unknown fields, no prompt): refused either way
            return calls.bytes("invalid", "raw-garbage", garbage, REFUSAL_DEADLINE, expect("INVALID_ARGUMENT"));
        });
    }

    private CompletableFuture<Void> refused(String kind, String variant, GenerateOptions.Builder options,
            Set<String> expected) {
        return calls.sdk(kind, variant, options.deadline(REFUSAL_DEADLINE).build(), expected, Calls.Verdict.ANY, 0);
    }

    private void add(String kind, String name, double weight, Function<RandomGenerator, CompletableFuture<Void>> start) {
        variants.add(new Variant(kind, name, weight, start));
    }

    private static Set<String> expect(String... outcomes) {
        return Stream.concat(Stream.of(outcomes), Stream.of("RESOURCE_EXHAUSTED"))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    private static String prompt(RandomGenerator random) {
        return References.PROMPTS.get(random.nextInt(References.PROMPTS.size()));
    }

    private static GenerateOptions.Builder greedy(String prompt, int maxTokens) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(maxTokens).ignoreEos(true).deadline(NORMAL_DEADLINE);
    }

    private static GenerateOptions.Builder sampled(String prompt, long seed) {
        return greedy(prompt, References.NORMAL_TOKENS).temperature(References.TEMPERATURE).topK(References.TOP_K)
                .topP(References.TOP_P).seed(seed);
    }

    private static GenerateRequest request(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setPrompt(prompt)
                .setSampling(SamplingParams.newBuilder().setMaxTokens(maxTokens).setIgnoreEos(true)).build();
    }

    private static CompletableFuture<Void> all(Stream<CompletableFuture<Void>> calls) {
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    }

    private interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    /** A message encoded field by field, with no UTF-8 checks (field 2 is GenerateRequest.prompt). */
    private static byte[] message(Fields fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            fields.write(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
