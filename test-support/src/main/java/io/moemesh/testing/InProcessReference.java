package io.moemesh.testing;

import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
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
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), 0)) {
            for (String prompt : prompts) {
                int[] ids = engine.generate(prompt, params, TokenListener.NONE).tokenIds();
                out.put(prompt, Arrays.stream(ids).boxed().toList());
            }
        }
        return out;
    }
}
