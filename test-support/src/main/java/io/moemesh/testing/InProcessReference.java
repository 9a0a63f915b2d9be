package io.moemesh.testing;

import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.PrunedExperts;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a distributed run must produce: the in-process engine's tokens for the same requests. */
public final class InProcessReference {

    private InProcessReference() {
    }

    /** Greedy continuations of {@code prompts} (text), EOS ignored: prompt → token ids, in prompt order. */
    public static Map<String, List<Integer>> greedy(Path model, List<String> prompts, int maxTokens) {
        return generate(model, prompts, new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true));
    }

    /** Continuations of {@code prompts} (text) with {@code params}: prompt → token ids, in prompt order. */
    public static Map<String, List<Integer>> generate(Path model, List<String> prompts, SamplingParams params) {
        return generate(model, prompts, params, PrunedExperts.NONE);
    }

    /**
     * Greedy continuations, EOS ignored, with the {@code pruned} units masked at the gate: what a router
     * serving with that pruned set must produce.
     */
    public static Map<String, List<Integer>> greedy(Path model, List<String> prompts, int maxTokens,
            PrunedExperts pruned) {
        return generate(model, prompts, new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true), pruned);
    }

    /** Continuations of {@code prompts} (text) with {@code params} and the {@code pruned} units masked. */
    public static Map<String, List<Integer>> generate(Path model, List<String> prompts, SamplingParams params,
            PrunedExperts pruned) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), 0)) {
            for (String prompt : prompts) {
                int[] ids = engine.generate(List.of(new GenerationRequest(prompt, params)), pruned, TokenListener.NONE)
                        .getFirst().tokenIds();
                out.put(prompt, Arrays.stream(ids).boxed().toList());
            }
        }
        return out;
    }
}
