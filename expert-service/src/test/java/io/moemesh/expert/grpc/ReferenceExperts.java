package io.moemesh.expert.grpc;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.expert.TinyModel;

/** The in-process engine's experts for the tiny model: the ground truth Compute must match bit for bit. */
public final class ReferenceExperts {

    private static final LocalExperts EXPERTS;

    static {
        Checkpoint checkpoint = Checkpoint.open(TinyModel.dir());
        EXPERTS = LocalExperts.load(checkpoint, ModelConfig.load(TinyModel.dir()), Kernels.best());
    }

    private ReferenceExperts() {
    }

    /** {@code LocalExperts.combine} on {@code x} for tokens routed as {@code routes[t]}. */
    public static float[] combine(int layer, float[] x, TestRoute... routes) {
        GateDecision[] decisions = new GateDecision[routes.length];
        for (int t = 0; t < routes.length; t++) {
            decisions[t] = new GateDecision(routes[t].experts(), routes[t].weights());
        }
        float[] out = new float[routes.length * TinyModel.HIDDEN];
        EXPERTS.combine(layer, x, routes.length, decisions, out);
        return out;
    }
}
