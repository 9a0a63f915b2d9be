package io.moemesh.expert.batching;

import io.moemesh.core.model.ExpertWeights;
import io.moemesh.expert.unit.UnitId;
import java.time.Duration;
import java.util.Map;

/**
 * Runs every hosted unit on zeros, at a single token and at a small batch, for a time budget
 * before the endpoint reports SERVING. A cold JVM computes the first calls in the interpreter,
 * slowly enough to pass the router's call deadline and trip its circuit breaker, which would mark
 * the first requests after a (re)start degraded for no reason.
 */
public final class ExpertWarmup {

    private static final int[] BATCHES = {1, 8};

    private ExpertWarmup() {
    }

    /** Returns how many rounds over all units ran (at least one unless the budget is zero). */
    public static int run(Map<UnitId, ExpertWeights> units, FfnRunner runner, Duration budget) {
        if (budget.isZero() || units.isEmpty()) {
            return 0;
        }
        int hidden = units.values().iterator().next().hiddenSize();
        float[] x = new float[BATCHES[BATCHES.length - 1] * hidden];
        float[] out = new float[x.length];
        long deadline = System.nanoTime() + budget.toNanos();
        int rounds = 0;
        do {
            for (ExpertWeights w : units.values()) {
                for (int tokens : BATCHES) {
                    runner.forward(w, x, tokens, out);
                }
            }
            rounds++;
        } while (System.nanoTime() < deadline);
        return rounds;
    }
}
