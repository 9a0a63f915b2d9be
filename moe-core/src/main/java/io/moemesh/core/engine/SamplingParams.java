package io.moemesh.core.engine;

import java.util.List;

/**
 * How to pick each next token. {@code temperature == 0} is greedy decoding; otherwise logits are
 * divided by the temperature, cut to the {@code topK} most likely tokens (0 = no cut) and to the
 * smallest set whose probability reaches {@code topP} (nucleus sampling, Holtzman et al. 2019),
 * then sampled with a generator seeded by {@code seed}. Generation ends after {@code maxTokens},
 * at the model's EOS token (unless {@code ignoreEos}), or when the text contains a stop string
 * (which is not part of the output).
 *
 * <p>{@code presencePenalty} and {@code frequencyPenalty} are OpenAI's, in [-2, 2]: before each
 * token is chosen, the logit of every token j generated so far in this sequence (the prompt does
 * not count) is lowered by {@code frequencyPenalty * count(j) + presencePenalty}. Both 0 leaves
 * the logits untouched ({@link Penalties}).
 *
 * <p>{@code logprobs} asks for each generated token's log probability and that many of the most
 * likely alternatives, in [0, 20]; {@link #NO_LOGPROBS} asks for none ({@link TokenLogprobs}).
 */
public record SamplingParams(
        float temperature, int topK, float topP, long seed, int maxTokens, List<String> stop, boolean ignoreEos,
        float presencePenalty, float frequencyPenalty, int logprobs) {

    public static final int NO_LOGPROBS = -1;
    public static final float MAX_PENALTY = 2f;
    public static final int MAX_TOP_LOGPROBS = 20;

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
        checkPenalty("presence_penalty", presencePenalty);
        checkPenalty("frequency_penalty", frequencyPenalty);
        if (logprobs < NO_LOGPROBS || logprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "] ("
                    + NO_LOGPROBS + " = no log probabilities), got " + logprobs);
        }
    }

    /** No penalties and no log probabilities. */
    public SamplingParams(float temperature, int topK, float topP, long seed, int maxTokens, List<String> stop,
            boolean ignoreEos) {
        this(temperature, topK, topP, seed, maxTokens, stop, ignoreEos, 0f, 0f, NO_LOGPROBS);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0f, 0, 1f, 0L, maxTokens, List.of(), false);
    }

    public SamplingParams withPenalties(float presence, float frequency) {
        return new SamplingParams(temperature, topK, topP, seed, maxTokens, stop, ignoreEos, presence, frequency,
                logprobs);
    }

    /** {@code top}: alternatives per token, or {@link #NO_LOGPROBS}. */
    public SamplingParams withLogprobs(int top) {
        return new SamplingParams(temperature, topK, topP, seed, maxTokens, stop, ignoreEos, presencePenalty,
                frequencyPenalty, top);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    public boolean hasPenalties() {
        return presencePenalty != 0f || frequencyPenalty != 0f;
    }

    public boolean wantsLogprobs() {
        return logprobs != NO_LOGPROBS;
    }

    private static void checkPenalty(String name, float penalty) {
        if (!(penalty >= -MAX_PENALTY && penalty <= MAX_PENALTY)) {
            throw new IllegalArgumentException(name + " must be in [-2, 2] (0 = off), got " + penalty);
        }
    }
}
