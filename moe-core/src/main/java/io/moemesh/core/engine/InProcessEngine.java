package io.moemesh.core.engine;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.PrunedExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.model.TokenBatch;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The whole model in one process: the reference the distributed system must match token for token.
 * A batch of requests is prefilled in one step; then every step decodes one token for each sequence
 * still running, and finished sequences leave the batch. Not thread-safe: one caller at a time.
 */
public final class InProcessEngine implements AutoCloseable {

    private final Checkpoint checkpoint;
    private final TextTokenizer tokenizer;
    private final DenseTransformer dense;
    private final ExpertDispatch experts;
    private final SequenceFactory sequences;

    InProcessEngine(Checkpoint checkpoint, TextTokenizer tokenizer, DenseTransformer dense, ExpertDispatch experts) {
        this.checkpoint = checkpoint;
        this.tokenizer = tokenizer;
        this.dense = dense;
        this.experts = experts;
        this.sequences = new SequenceFactory(dense.config(), tokenizer);
    }

    /** Opens a model directory ({@code config.json}, safetensors, {@code tokenizer.json}) with the fastest kernels. */
    public static InProcessEngine open(Path modelDir) {
        return open(modelDir, Kernels.best(), 0);
    }

    /** {@code topK} overrides the model's experts per token when positive. */
    public static InProcessEngine open(Path modelDir, Kernels kernels, int topK) {
        return open(modelDir, kernels, topK, null);
    }

    /**
     * Runs the dense part here and asks {@code experts} for the MoE layers, e.g. remote expert
     * services; {@code null} loads every expert into this process.
     */
    public static InProcessEngine open(Path modelDir, Kernels kernels, int topK, ExpertDispatch experts) {
        ModelConfig config = ModelConfig.load(modelDir);
        Checkpoint checkpoint = Checkpoint.open(modelDir);
        try {
            TextTokenizer tokenizer = TextTokenizer.load(modelDir);
            DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), kernels, topK);
            ExpertDispatch dispatch = experts != null ? experts : LocalExperts.load(checkpoint, config, kernels);
            return new InProcessEngine(checkpoint, tokenizer, dense, dispatch);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return dense.config();
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public Generation generate(String prompt, SamplingParams params, TokenListener listener) {
        return generate(List.of(new GenerationRequest(prompt, params)), listener).getFirst();
    }

    public List<Generation> generate(List<GenerationRequest> requests, TokenListener listener) {
        return generate(requests, PrunedExperts.NONE, listener);
    }

    /**
     * As {@link #generate(List, TokenListener)} with the {@code pruned} units masked at the gate: the
     * reference a router that serves with that pruned set must match token for token.
     */
    public List<Generation> generate(List<GenerationRequest> requests, PrunedExperts pruned, TokenListener listener) {
        List<int[]> prompts = new ArrayList<>(requests.size());
        for (GenerationRequest r : requests) {
            prompts.add(tokenizer.encode(r.prompt()));
        }
        return generateIds(prompts, requests.stream().map(GenerationRequest::params).toList(), pruned, listener);
    }

    /** Generates from token ids: {@code params.get(i)} samples {@code prompts.get(i)}. */
    public List<Generation> generateIds(List<int[]> prompts, List<SamplingParams> params, TokenListener listener) {
        return generateIds(prompts, params, PrunedExperts.NONE, listener);
    }

    /** As {@link #generateIds(List, List, TokenListener)} with the {@code pruned} units masked at the gate. */
    public List<Generation> generateIds(List<int[]> prompts, List<SamplingParams> params, PrunedExperts pruned,
            TokenListener listener) {
        List<ActiveSequence> all = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            all.add(start(i, prompts.get(i), params.get(i)));
        }
        int vocab = config().vocabSize();
        List<ActiveSequence> running = all;
        while (!running.isEmpty()) { // the first step prefills every prompt, the others decode
            float[] logits = dense.forward(StepBatch.of(running).batch(), experts, pruned, RoutingObserver.NONE);
            for (int i = 0; i < running.size(); i++) {
                running.get(i).accept(logits, i * vocab, vocab, listener);
            }
            running = running.stream().filter(s -> !s.finished()).toList();
        }
        return all.stream().map(ActiveSequence::result).toList();
    }

    /**
     * Runs the prompt through the model once and returns the logits at every position
     * ({@code vocab} floats each): for golden-vector checks and routing traces.
     */
    public float[] score(int[] ids, RoutingObserver observer) {
        return score(ids, PrunedExperts.NONE, observer);
    }

    /** As {@link #score(int[], RoutingObserver)} with the {@code pruned} units masked at the gate. */
    public float[] score(int[] ids, PrunedExperts pruned, RoutingObserver observer) {
        KvCache cache = new KvCache(config(), ids.length);
        KvCache[] caches = new KvCache[ids.length];
        Arrays.fill(caches, cache);
        boolean[] all = new boolean[ids.length];
        Arrays.fill(all, true);
        int[] positions = new int[ids.length];
        Arrays.setAll(positions, i -> i);
        return dense.forward(new TokenBatch(ids, positions, caches, all), experts, pruned, observer);
    }

    private ActiveSequence start(int request, int[] promptIds, SamplingParams params) {
        sequences.refusal(promptIds.length).ifPresent(reason -> {
            throw new IllegalArgumentException("request " + request + ": " + reason);
        });
        return sequences.start(request, promptIds, params, sequences.capacity(promptIds.length, params.maxTokens()));
    }

    @Override
    public void close() {
        tokenizer.close();
        checkpoint.close();
    }
}
