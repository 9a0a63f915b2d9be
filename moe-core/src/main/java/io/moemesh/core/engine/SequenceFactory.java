package io.moemesh.core.engine;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.KvCache;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.Optional;

/**
 * Admits a prompt and builds the {@link ActiveSequence} that generates from it: the one path the
 * in-process engine and the router's continuous batching share, so both refuse the same prompts with
 * the same words and size a sequence's KV cache alike.
 */
public final class SequenceFactory {

    private final ModelConfig config;
    private final TextTokenizer tokenizer;

    public SequenceFactory(ModelConfig config, TextTokenizer tokenizer) {
        this.config = config;
        this.tokenizer = tokenizer;
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Why a prompt of {@code promptTokens} cannot be served by this model, or empty when it can: it
     * must hold at least one token and leave room in the model's context for one more.
     */
    public Optional<String> refusal(int promptTokens) {
        int context = config.maxPositionEmbeddings();
        if (promptTokens == 0) {
            return Optional.of("the prompt is empty");
        }
        if (promptTokens >= context) {
            return Optional.of("prompt of " + promptTokens + " tokens leaves no room in the model's context of "
                    + context + " tokens");
        }
        return Optional.empty();
    }

    /** KV positions a sequence needs: its prompt and what it may generate, within the model's context. */
    public int capacity(int promptTokens, int maxTokens) {
        return capacity(promptTokens, maxTokens, config.maxPositionEmbeddings());
    }

    /** As {@link #capacity(int, int)} for a context of {@code context} positions. */
    public static int capacity(int promptTokens, int maxTokens, int context) {
        return (int) Math.min(context, (long) promptTokens + maxTokens); // long: max_tokens may be near MAX_VALUE
    }

    /**
     * A sequence for an admitted prompt ({@link #refusal} is empty) with a KV cache of {@code capacity}
     * positions; {@code request} is the id its tokens are reported under.
     */
    public ActiveSequence start(int request, int[] promptIds, SamplingParams params, int capacity) {
        return new ActiveSequence(request, promptIds, params, new KvCache(config, capacity), tokenizer,
                config.eosTokenId());
    }
}
