package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;

/** Scratch buffers of one forward step over {@code n} tokens, allocated together and owned by that step. */
final class StepState {

    final float[] x;          // residual stream [n, hidden]
    final float[] xb;         // normed input of the current sub-layer [n, hidden]
    final float[] q;          // [n, heads * headDim]
    final float[] k;          // [n, kvHeads * headDim]
    final float[] v;
    final float[] attended;   // attention output before o_proj [n, heads * headDim]
    final float[] scores;     // attention scores of one head [positions]
    final float[] gateLogits; // [n, experts]
    final float[] moeOut;     // [n, hidden]
    final float[][] cos;      // [n][headDim / 2]
    final float[][] sin;

    StepState(ModelConfig c, int n, int positions) {
        x = new float[n * c.hiddenSize()];
        xb = new float[n * Math.max(c.hiddenSize(), c.queryDim())];
        q = new float[n * c.queryDim()];
        k = new float[n * c.kvDim()];
        v = new float[n * c.kvDim()];
        attended = new float[n * c.queryDim()];
        scores = new float[positions];
        gateLogits = new float[n * c.numExperts()];
        moeOut = new float[n * c.hiddenSize()];
        cos = new float[n][c.headDim() / 2];
        sin = new float[n][c.headDim() / 2];
    }
}
