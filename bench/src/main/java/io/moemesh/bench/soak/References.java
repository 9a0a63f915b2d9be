package io.moemesh.bench.soak;

import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the distributed system must produce: the in-process engine's tokens, computed in this JVM
 * before the soak starts, for every request the soak checks exactly.
 */
final class References {

    static final List<String> PROMPTS = List.of("The meaning of life is ", "Der Mensch ist ", "El amor es ",
            "La vita è ", "Жизнь — это ", "Życie jest ", "Život je ", "A vida é ");
    static final int NORMAL_TOKENS = 32;
    static final long[] SEEDS = {1234, 7};
    static final float TEMPERATURE = 0.8f;
    static final int TOP_K = 40;
    static final float TOP_P = 0.95f;
    static final String PAST_CONTEXT_PROMPT = "Once upon a time, ";
    /** Far past the 512-token context of mesh-mini-16e, within the gateway's max-tokens-limit (2048). */
    static final int PAST_CONTEXT_MAX_TOKENS = 2000;
    static final int NEAR_CONTEXT_MAX_TOKENS = 64;
    private static final int NEAR_CONTEXT_MARGIN = 7;

    private final Map<String, List<Integer>> tokens = new HashMap<>();
    private final List<Integer> nearContextIds;
    private final int context;

    private References(List<Integer> nearContextIds, int context) {
        this.nearContextIds = nearContextIds;
        this.context = context;
    }

    static References compute(Path model) {
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), 0)) {
            int context = engine.config().maxPositionEmbeddings();
            int vocab = engine.config().vocabSize();
            int firstText = Math.max(engine.config().bosTokenId().orElse(-1), engine.config().eosTokenId().orElse(-1)) + 1;
            List<Integer> ids = new SplittableRandom(42).ints(context - NEAR_CONTEXT_MARGIN, firstText, vocab).boxed()
                    .toList();
            References refs = new References(ids, context);
            for (String prompt : PROMPTS) {
                refs.tokens.put(greedyKey(prompt), generate(engine, prompt, greedy(NORMAL_TOKENS)));
                for (long seed : SEEDS) {
                    refs.tokens.put(sampledKey(prompt, seed), generate(engine, prompt, sampled(seed)));
                }
            }
            refs.tokens.put("past-context", generate(engine, PAST_CONTEXT_PROMPT, greedy(PAST_CONTEXT_MAX_TOKENS)));
            int[] near = engine.generateIds(List.of(ids.stream().mapToInt(Integer::intValue).toArray()),
                    List.of(greedy(NEAR_CONTEXT_MAX_TOKENS)), TokenListener.NONE).getFirst().tokenIds();
            refs.tokens.put("near-context", Arrays.stream(near).boxed().toList());
            return refs;
        }
    }

    static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true);
    }

    static SamplingParams sampled(long seed) {
        return new SamplingParams(TEMPERATURE, TOP_K, TOP_P, seed, NORMAL_TOKENS, List.of(), true);
    }

    List<Integer> greedy(String prompt) {
        return tokens.get(greedyKey(prompt));
    }

    List<Integer> sampled(String prompt, long seed) {
        return tokens.get(sampledKey(prompt, seed));
    }

    /** Greedy tokens of {@link #PAST_CONTEXT_PROMPT} with max_tokens far past the context: cut at the context. */
    List<Integer> pastContext() {
        return tokens.get("past-context");
    }

    /** A prompt of token ids that leaves {@value #NEAR_CONTEXT_MARGIN} positions of the context. */
    List<Integer> nearContextIds() {
        return nearContextIds;
    }

    List<Integer> nearContext() {
        return tokens.get("near-context");
    }

    int context() {
        return context;
    }

    /** A verdict: the tokens must equal {@code expected}. */
    static Calls.Verdict exactly(List<Integer> expected) {
        return actual -> actual.equals(expected) ? null : "got " + actual.size() + " tokens " + head(actual)
                + ", the in-process engine " + expected.size() + " " + head(expected);
    }

    /** A verdict for a call that asked for {@code n} tokens: the first {@code n} of {@code expected}. */
    static Calls.Verdict prefix(List<Integer> expected, int n) {
        return exactly(expected.subList(0, n));
    }

    private static String head(List<Integer> ids) {
        return ids.subList(0, Math.min(12, ids.size())) + (ids.size() > 12 ? "…" : "");
    }

    private static List<Integer> generate(InProcessEngine engine, String prompt, SamplingParams params) {
        return Arrays.stream(engine.generate(prompt, params, TokenListener.NONE).tokenIds()).boxed().toList();
    }

    private static String greedyKey(String prompt) {
        return "greedy|" + prompt;
    }

    private static String sampledKey(String prompt, long seed) {
        return "sampled|" + seed + "|" + prompt;
    }
}
