package io.moemesh.router.dispatch;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.safetensors.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** What the dispatch tests send through an {@link ExpertDispatch} and compare: layer 0 for given routes. */
final class LayerZero {

    private LayerZero() {
    }

    /** Layer 0 for one token per route (fixed seed), each route's experts weighted equally. */
    static float[] combine(ExpertDispatch experts, int hiddenSize, int[][] routes) {
        float[] hidden = new float[routes.length * hiddenSize];
        Random random = new Random(42);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        GateDecision[] decisions = new GateDecision[routes.length];
        for (int t = 0; t < routes.length; t++) {
            float[] weights = new float[routes[t].length];
            Arrays.fill(weights, 1f / weights.length);
            decisions[t] = new GateDecision(routes[t], weights);
        }
        float[] out = new float[hidden.length];
        experts.combine(0, hidden, routes.length, decisions, out);
        return out;
    }

    /** The same computed by the model's experts in this process: what a remote dispatch must equal. */
    static float[] inProcess(Path model, int[][] routes) {
        ModelConfig config = ModelConfig.load(model);
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            return combine(LocalExperts.load(checkpoint, config, Kernels.best()), config.hiddenSize(), routes);
        }
    }
}
