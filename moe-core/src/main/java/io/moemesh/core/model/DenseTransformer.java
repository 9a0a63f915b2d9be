package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.gate.TopKGate;
import io.moemesh.core.kernel.Kernels;
import java.util.Arrays;

/**
 * The dense part of an MoE decoder (HF {@code MixtralModel}, {@code Qwen2MoeModel}, ...): embeddings,
 * pre-norm grouped-query attention with RoPE and a KV cache (with the family's q/k/v biases, q/k norms
 * and clipping), the router gate, shared experts, the dense MLPs of non-MoE layers and the LM head.
 * At each MoE layer it asks an {@link ExpertDispatch} for the routed experts' weighted sum, so the
 * same code runs in process and as the router of the distributed system. Stateless between calls:
 * per-step scratch lives in a {@link StepState}, per-sequence state in each {@link KvCache}.
 */
public final class DenseTransformer {

    private final ModelConfig config;
    private final DenseWeights weights;
    private final Kernels kernels;
    private final int topK;
    private final float[] inverseFrequencies;
    private final ExpertFfn ffn;

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
        this.ffn = new ExpertFfn(kernels);
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
        return forward(batch, experts, PrunedExperts.NONE, observer);
    }

    /**
     * As {@link #forward(TokenBatch, ExpertDispatch, RoutingObserver)}, with the gate masking the
     * {@code pruned} units as it masks unavailable experts; the tokens routed away from them are reported
     * through {@link RoutingObserver#onPrune} and {@link RoutingObserver#onPrunedRoute}.
     *
     * @throws IllegalArgumentException when {@code pruned} was made for another model shape or leaves a
     *                                  layer fewer experts than the top-k
     */
    public float[] forward(TokenBatch batch, ExpertDispatch experts, PrunedExperts pruned, RoutingObserver observer) {
        if (!pruned.fits(config.numMoeLayers(), config.numExperts())) {
            throw new IllegalArgumentException(pruned + " does not fit this model's " + config.numMoeLayers()
                    + " MoE layers of " + config.numExperts() + " experts");
        }
        if (!pruned.isEmpty()) {
            pruned.requireServable(topK);
        }
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
            for (int t = 0; t < n; t++) {
                kernels.rmsNorm(s.x, t * h, layer.postAttentionNorm(), config.rmsNormEps(), s.xb, t * h, h);
            }
            switch (layer.feedforward()) {
                case DenseWeights.Sparse sparse -> {
                    int ml = config.layout().moeLayerOf(l);
                    moe(ml, sparse, n, experts, pruned.mask(ml), observer, s);
                }
                case DenseWeights.Dense dense -> mlp(dense.mlp(), n, s, s.moeOut);
            }
            kernels.axpy(1f, s.moeOut, 0, s.x, 0, n * h);
        }
        return logits(batch, s);
    }

    private void attention(int l, DenseWeights.Layer layer, TokenBatch batch, StepState s) {
        int n = batch.size();
        int h = config.hiddenSize();
        DenseWeights.Attention a = layer.attention();
        for (int t = 0; t < n; t++) {
            kernels.rmsNorm(s.x, t * h, layer.inputNorm(), config.rmsNormEps(), s.xb, t * h, h);
        }
        kernels.matmul(a.q(), s.xb, n, s.q);
        kernels.matmul(a.k(), s.xb, n, s.k);
        kernels.matmul(a.v(), s.xb, n, s.v);
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        for (int t = 0; t < n; t++) {
            projectExtras(a, s, t * qDim, t * kvDim);
            kernels.rope(s.q, t * qDim, config.numHeads(), config.headDim(), s.cos[t], s.sin[t]);
            kernels.rope(s.k, t * kvDim, config.numKvHeads(), config.headDim(), s.cos[t], s.sin[t]);
            batch.caches()[t].store(l, batch.positions()[t], s.k, s.v, t * kvDim);
        }
        // All keys of the step are stored first, so a prompt token sees the earlier prompt tokens.
        for (int t = 0; t < n; t++) {
            attendOne(l, batch.caches()[t], batch.positions()[t], s.q, t * qDim, s.attended, t * qDim, s.scores);
        }
        kernels.matmul(a.o(), s.attended, n, s.xb);
        for (int t = 0; a.oBias() != null && t < n; t++) {
            kernels.axpy(1f, a.oBias(), 0, s.xb, t * h, h);
        }
        kernels.axpy(1f, s.xb, 0, s.x, 0, n * h);
    }

    /**
     * What the families add between the q/k/v projections and RoPE, in transformers' order: biases
     * (Qwen2-MoE), RMSNorm per head (Qwen3-MoE) or over the whole projection (OLMoE), then clipping (OLMoE).
     */
    private void projectExtras(DenseWeights.Attention a, StepState s, int qOff, int kvOff) {
        int qDim = config.queryDim();
        int kvDim = config.kvDim();
        if (a.qBias() != null) {
            kernels.axpy(1f, a.qBias(), 0, s.q, qOff, qDim);
            kernels.axpy(1f, a.kBias(), 0, s.k, kvOff, kvDim);
            kernels.axpy(1f, a.vBias(), 0, s.v, kvOff, kvDim);
        }
        float eps = config.rmsNormEps();
        switch (config.layout().qkNorm()) {
            case NONE -> { }
            case WHOLE -> {
                kernels.rmsNorm(s.q, qOff, a.qNorm(), eps, s.q, qOff, qDim);
                kernels.rmsNorm(s.k, kvOff, a.kNorm(), eps, s.k, kvOff, kvDim);
            }
            case PER_HEAD -> {
                int hd = config.headDim();
                for (int head = 0; head < config.numHeads(); head++) {
                    kernels.rmsNorm(s.q, qOff + head * hd, a.qNorm(), eps, s.q, qOff + head * hd, hd);
                }
                for (int head = 0; head < config.numKvHeads(); head++) {
                    kernels.rmsNorm(s.k, kvOff + head * hd, a.kNorm(), eps, s.k, kvOff + head * hd, hd);
                }
            }
        }
        float clip = config.layout().clipQkv();
        if (clip > 0) {
            clamp(s.q, qOff, qDim, clip);
            clamp(s.k, kvOff, kvDim, clip);
            clamp(s.v, kvOff, kvDim, clip);
        }
    }

    private static void clamp(float[] x, int off, int n, float limit) {
        for (int i = off; i < off + n; i++) {
            x[i] = Math.max(-limit, Math.min(limit, x[i]));
        }
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

    /**
     * MoE layer {@code ml}: the routed experts' weighted sum into {@code s.moeOut}, then the shared
     * experts' output added to it (Qwen2-MoE scales it by {@code sigmoid(shared_expert_gate·x)} first).
     */
    private void moe(int ml, DenseWeights.Sparse layer, int n, ExpertDispatch experts, boolean[] pruned,
            RoutingObserver observer, StepState s) {
        kernels.matmul(layer.router(), s.xb, n, s.gateLogits);
        boolean[] available = ExpertMasks.available(experts, ml, config.numExperts());
        // The residual stream changes only after combine succeeds, so a failed step can be re-routed
        // and retried; each retry removes at least one expert, so this ends.
        while (true) {
            GateDecision[] routes = route(n, s.gateLogits, ExpertMasks.allowed(available, pruned));
            try {
                experts.combine(ml, s.xb, n, routes, s.moeOut);
                report(ml, n, s.gateLogits, routes, available, pruned, observer);
                break;
            } catch (ExpertsUnavailableException e) {
                available = ExpertMasks.withoutFailed(available, e, ml, config.numExperts());
            }
        }
        if (layer.shared() != null) {
            int h = config.hiddenSize();
            float[] shared = new float[n * h];
            mlp(layer.shared(), n, s, shared);
            float[] gate = new float[n];
            if (layer.sharedGate() != null) {
                kernels.matmul(layer.sharedGate(), s.xb, n, gate);
            }
            for (int t = 0; t < n; t++) {
                float scale = layer.sharedGate() == null ? 1f : sigmoid(gate[t]);
                kernels.axpy(scale, shared, t * h, s.moeOut, t * h, h);
            }
        }
    }

    /** A dense SwiGLU MLP over the normed input {@code s.xb}: a non-MoE layer's MLP or a shared expert. */
    private void mlp(DenseWeights.Mlp mlp, int n, StepState s, float[] out) {
        ffn.forward(mlp.gate(), mlp.up(), mlp.down(), s.xb, n, ExpertFfn.Scratch.forTokens(n, mlp.width()), out);
    }

    private static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    private GateDecision[] route(int n, float[] gateLogits, boolean[] available) {
        int e = config.numExperts();
        GateDecision[] routes = new GateDecision[n];
        for (int t = 0; t < n; t++) {
            routes[t] = TopKGate.gate(gateLogits, t * e, e, topK, available, config.layout().normTopKProb());
        }
        return routes;
    }

    /**
     * Tells the observer where each token went and which experts it missed: unavailable ones (a degraded
     * step) and pruned ones (planned). Both masks {@code null}, the common case, costs no gate re-run.
     */
    private void report(int l, int n, float[] gateLogits, GateDecision[] routes, boolean[] available,
            boolean[] pruned, RoutingObserver observer) {
        int e = config.numExperts();
        for (int t = 0; t < n; t++) {
            if (available == null && pruned == null) {
                observer.onRoute(l, t, routes[t]);
                continue;
            }
            boolean prunedAway = false;
            for (int wanted : TopKGate.gate(gateLogits, t * e, e, topK).experts()) {
                if (pruned != null && pruned[wanted]) {
                    observer.onPrune(l, t, wanted);
                    prunedAway = true;
                } else if (available != null && !available[wanted]) {
                    observer.onSkip(l, t, wanted);
                }
            }
            if (prunedAway) {
                observer.onPrunedRoute(l, t, routes[t], TopKGate.gate(gateLogits, t * e, e, topK, available,
                        config.layout().normTopKProb()));
            } else {
                observer.onRoute(l, t, routes[t]);
            }
        }
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
