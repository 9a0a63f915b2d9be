package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.gate.TopKGate;
import io.moemesh.core.kernel.Kernels;
import java.util.Arrays;

/**
 * The dense part of a Mixtral decoder (HF {@code MixtralModel}): embeddings, pre-norm grouped-query
 * attention with RoPE and a KV cache, the router gate and the LM head. At each MoE layer it asks an
 * {@link ExpertDispatch} for the experts' weighted sum, so the same code runs in process and as the
 * router of the distributed system. Stateless between calls: per-step scratch lives in a
 * {@link StepState}, per-sequence state in each {@link KvCache}.
 */
public final class DenseTransformer {

    private final ModelConfig config;
    private final DenseWeights weights;
    private final Kernels kernels;
    private final int topK;
    private final float[] inverseFrequencies;

    /** {@code topK} overrides the config's {@code num_experts_per_tok} when positive. */
    public DenseTransformer(ModelConfig config, DenseWeights weights, Kernels kernels, int topK) {
        if (topK > config.numExperts()) {
            throw new IllegalArgumentException("top-k " + topK + " exceeds the model's " + config.numExperts()
                    + " experts");
        }
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.topK = topK > 0 ? topK : config.expertsPerToken();
        this.inverseFrequencies = inverseFrequencies(config);
    }

    public ModelConfig config() {
        return config;
    }

    public int topK() {
        return topK;
    }

    /**
     * Runs one step and returns the logits of the tokens that asked for them, {@code vocab} floats
     * per token, in batch order.
     */
    public float[] forward(TokenBatch batch, ExpertDispatch experts, RoutingObserver observer) {
        int n = batch.size();
        int h = config.hiddenSize();
        StepState s = new StepState(config, n, maxPosition(batch) + 1);
        for (int t = 0; t < n; t++) {
            int token = batch.tokens()[t];
            if (token < 0 || token >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of "
                        + config.vocabSize());
            }
            weights.embedTokens().copyRow(token, s.x, t * h);
            rotaryAngles(batch.positions()[t], s.cos[t], s.sin[t]);
        }
        for (int l = 0; l < config.numLayers(); l++) {
            DenseWeights.Layer layer = weights.layers().get(l);
            attention(l, layer, batch, s);
            moe(l, layer, n, experts, observer, s);
        }
        return logits(batch, s);
    }

    private void attention(int l, DenseWeights.Layer layer, TokenBatch batch, StepState s) {
        int n = batch.size();
        int h = config.hiddenSize();
        for (int t = 0; t < n; t++) {
            kernels.rmsNorm(s.x, t * h, layer.inputNorm(), config.rmsNormEps(), s.xb, t * h, h);
        }
        kernels.matmul(layer.q(), s.xb, n, s.q);
        kernels.matmul(layer.k(), s.xb, n, s.k);
        kernels.matmul(layer.v(), s.xb, n, s.v);
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        for (int t = 0; t < n; t++) {
            kernels.rope(s.q, t * qDim, config.numHeads(), config.headDim(), s.cos[t], s.sin[t]);
            kernels.rope(s.k, t * kvDim, config.numKvHeads(), config.headDim(), s.cos[t], s.sin[t]);
            batch.caches()[t].store(l, batch.positions()[t], s.k, s.v, t * kvDim);
        }
        // All keys of the step are stored first, so a prompt token sees the earlier prompt tokens.
        for (int t = 0; t < n; t++) {
            attendOne(l, batch.caches()[t], batch.positions()[t], s.q, t * qDim, s.attended, t * qDim, s.scores);
        }
        kernels.matmul(layer.o(), s.attended, n, s.xb);
        kernels.axpy(1f, s.xb, 0, s.x, 0, n * h);
    }

    /** Causal attention of one query token at {@code position} over its sequence's cache, every head. */
    private void attendOne(int l, KvCache cache, int position, float[] q, int qOff, float[] out, int outOff,
            float[] scores) {
        int hd = config.headDim();
        int kvDim = config.kvDim();
        int group = config.numHeads() / config.numKvHeads(); // query heads per KV head (GQA)
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] keys = cache.keys(l);
        float[] values = cache.values(l);
        for (int head = 0; head < config.numHeads(); head++) {
            int kvOff = (head / group) * hd;
            int qHead = qOff + head * hd;
            for (int p = 0; p <= position; p++) {
                scores[p] = kernels.dot(q, qHead, keys, p * kvDim + kvOff, hd) * scale;
            }
            kernels.softmax(scores, 0, position + 1);
            int o = outOff + head * hd;
            Arrays.fill(out, o, o + hd, 0f);
            for (int p = 0; p <= position; p++) {
                kernels.axpy(scores[p], values, p * kvDim + kvOff, out, o, hd);
            }
        }
    }

    private void moe(int l, DenseWeights.Layer layer, int n, ExpertDispatch experts, RoutingObserver observer,
            StepState s) {
        int h = config.hiddenSize();
        for (int t = 0; t < n; t++) {
            kernels.rmsNorm(s.x, t * h, layer.postAttentionNorm(), config.rmsNormEps(), s.xb, t * h, h);
        }
        kernels.matmul(layer.gate(), s.xb, n, s.gateLogits);
        boolean[] available = availability(experts, l);
        // The residual stream changes only after combine succeeds, so a failed step can be re-routed
        // and retried; each retry removes at least one expert, so this ends.
        while (true) {
            GateDecision[] routes = route(n, s.gateLogits, available);
            try {
                experts.combine(l, s.xb, n, routes, s.moeOut);
                report(l, n, s.gateLogits, routes, available, observer);
                break;
            } catch (ExpertsUnavailableException e) {
                available = withoutFailed(available, e, l);
            }
        }
        kernels.axpy(1f, s.moeOut, 0, s.x, 0, n * h);
    }

    private GateDecision[] route(int n, float[] gateLogits, boolean[] available) {
        int e = config.numExperts();
        GateDecision[] routes = new GateDecision[n];
        for (int t = 0; t < n; t++) {
            routes[t] = TopKGate.gate(gateLogits, t * e, e, topK, available);
        }
        return routes;
    }

    /** Tells the observer where each token went and, in a degraded step, which experts it missed. */
    private void report(int l, int n, float[] gateLogits, GateDecision[] routes, boolean[] available,
            RoutingObserver observer) {
        int e = config.numExperts();
        for (int t = 0; t < n; t++) {
            observer.onRoute(l, t, routes[t]);
            if (available != null) {
                for (int wanted : TopKGate.gate(gateLogits, t * e, e, topK).experts()) {
                    if (!available[wanted]) {
                        observer.onSkip(l, t, wanted);
                    }
                }
            }
        }
    }

    /** {@code null} when every expert is available (the common case costs no array). */
    private boolean[] availability(ExpertDispatch experts, int l) {
        boolean[] available = null;
        for (int e = 0; e < config.numExperts(); e++) {
            if (!experts.isAvailable(l, e)) {
                if (available == null) {
                    available = new boolean[config.numExperts()];
                    Arrays.fill(available, true);
                }
                available[e] = false;
            }
        }
        return available;
    }

    private boolean[] withoutFailed(boolean[] available, ExpertsUnavailableException failure, int l) {
        boolean[] next = available == null ? new boolean[config.numExperts()] : available.clone();
        if (available == null) {
            Arrays.fill(next, true);
        }
        boolean removed = false;
        for (int expert : failure.experts()) {
            removed |= next[expert];
            next[expert] = false;
        }
        if (failure.layer() != l || !removed) {
            throw failure; // nothing new to route around: give up rather than loop
        }
        return next;
    }

    private float[] logits(TokenBatch batch, StepState s) {
        int h = config.hiddenSize();
        int rows = 0;
        for (int t = 0; t < batch.size(); t++) {
            if (batch.wantLogits()[t]) {
                kernels.rmsNorm(s.x, t * h, weights.finalNorm(), config.rmsNormEps(), s.xb, rows++ * h, h);
            }
        }
        float[] logits = new float[rows * config.vocabSize()];
        if (rows > 0) {
            kernels.matmul(weights.lmHead(), s.xb, rows, logits);
        }
        return logits;
    }

    /** RoPE frequencies as HF {@code MixtralRotaryEmbedding}: {@code 1 / theta^(2i/d)}, in float32 like the reference. */
    private static float[] inverseFrequencies(ModelConfig config) {
        int half = config.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / config.headDim();
            inv[i] = (float) (1.0 / Math.pow(config.ropeTheta(), exponent));
        }
        return inv;
    }

    private void rotaryAngles(int position, float[] cos, float[] sin) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            float angle = position * inverseFrequencies[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    private static int maxPosition(TokenBatch batch) {
        int max = 0;
        for (int p : batch.positions()) {
            max = Math.max(max, p);
        }
        return max;
    }
}
