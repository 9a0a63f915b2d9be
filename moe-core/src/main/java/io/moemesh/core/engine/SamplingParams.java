package io.moemesh.core.engine;

import java.util.List;

/**
 * How to pick each next token. {@code temperature == 0} is greedy decoding; otherwise logits are
 * divided by the temperature, cut to the {@code topK} most likely tokens (0 = no cut) and to the
 * smallest set whose probability reaches {@code topP} (nucleus sampling, Holtzman et al. 2019),
 * then sampled with a generator seeded by {@code seed}. Generation ends after {@code maxTokens},
 * at the model's EOS token (unless {@code ignoreEos}), or when the text contains a stop string
 * (which is not part of the output).
 */
public record SamplingParams(
        float temperature, int topK, float topP, long seed, int maxTokens, List<String> stop, boolean ignoreEos) {

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        }
        stop = List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0f, 0, 1f, 0L, maxTokens, List.of(), false);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
