package io.moemesh.core.engine;

import io.moemesh.core.model.KvCache;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * The state of one sequence while it generates: its cache, sampler, text and tokens so far.
 * Used by the in-process engine and by the router's continuous batching; one thread at a time.
 */
public final class ActiveSequence {

    private final int request;
    private final int[] promptIds;
    private final KvCache cache;
    private final SamplingParams params;
    private final Sampler sampler;
    private final TextStream text;
    private final OptionalInt eos;
    private final Penalties penalties; // null without penalties, so the default path samples the logits as given
    private int[] generated;
    private int count;
    private FinishReason finish;

    public ActiveSequence(int request, int[] promptIds, SamplingParams params, KvCache cache, TextTokenizer tokenizer,
            OptionalInt eos) {
        this.request = request;
        this.promptIds = promptIds;
        this.params = params;
        this.cache = cache;
        this.sampler = new Sampler(params);
        this.text = new TextStream(tokenizer, params.stop());
        this.eos = eos;
        this.penalties = params.hasPenalties() ? new Penalties(params.presencePenalty(), params.frequencyPenalty())
                : null;
        this.generated = new int[Math.min(params.maxTokens(), cache.capacity())];
    }

    /** The number that names the request in errors and logs: its index in an in-process batch, or the router's id. */
    public int request() {
        return request;
    }

    public int[] promptIds() {
        return promptIds;
    }

    public KvCache cache() {
        return cache;
    }

    /** Position of the next token to feed: the last generated one. */
    public int nextPosition() {
        return promptIds.length + count - 1;
    }

    /** Whether the prompt has been through the model (a token was generated from it). */
    public boolean prefilled() {
        return count > 0;
    }

    /** Tokens generated so far (EOS, which is not kept, excluded). */
    public int generatedTokens() {
        return count;
    }

    public int lastToken() {
        return generated[count - 1];
    }

    public boolean finished() {
        return finish != null;
    }

    /**
     * Samples the next token from {@code logits[off ..]}, reports it, and decides whether the sequence ends.
     * The logits are only read: penalties apply to a copy, and log probabilities are the raw row's.
     */
    public void accept(float[] logits, int off, int vocab, TokenListener listener) {
        int token = penalties == null ? sampler.next(logits, off, vocab)
                : sampler.next(penalties.apply(logits, off, vocab), 0, vocab);
        if (!params.ignoreEos() && eos.isPresent() && token == eos.getAsInt()) {
            finish = FinishReason.EOS;
            listener.onToken(request, token, text.finish(), null);
            return;
        }
        TokenLogprobs logprobs = params.wantsLogprobs()
                ? TokenLogprobs.of(logits, off, vocab, token, params.logprobs()) : null;
        generated[count++] = token;
        if (penalties != null) {
            penalties.add(token);
        }
        String piece = text.push(token);
        if (text.stopped()) {
            finish = FinishReason.STOP;
        } else if (count == params.maxTokens() || promptIds.length + count >= cache.capacity()) {
            finish = FinishReason.LENGTH;
            piece += text.finish();
        }
        listener.onToken(request, token, piece, logprobs);
    }

    public Generation result() {
        return new Generation(promptIds, Arrays.copyOf(generated, count), text.text(), finish);
    }
}
