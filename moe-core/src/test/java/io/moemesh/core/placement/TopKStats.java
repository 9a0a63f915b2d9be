package io.moemesh.core.placement;

import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.core.routing.RoutingStatsWindow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

/** Top-k routing statistics recorded through the router's own window, expert sets included. */
final class TopKStats {

    private TopKStats() {
    }

    /**
     * {@code tokens} random tokens per layer: with probability 0.6 a token draws its k experts
     * from one of two favourite groups of the layer (k + 1 experts each), else from all experts,
     * so some sets recur, as topic structure makes them in real routing.
     */
    static RoutingStats random(int layers, int experts, int k, int tokens, long seed, int setsPerLayer) {
        SplittableRandom random = new SplittableRandom(seed);
        RoutingStatsWindow window = window(layers, experts, setsPerLayer);
        int[][][] groups = new int[layers][2][];
        for (int l = 0; l < layers; l++) {
            for (int g = 0; g < 2; g++) {
                groups[l][g] = draw(random, experts, Math.min(experts, k + 1), null);
            }
        }
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layers; l++) {
                int[] from = random.nextDouble() < 0.6 ? groups[l][random.nextInt(2)] : null;
                int[] chosen = draw(random, experts, k, from);
                window.record(l, new GateDecision(chosen, new float[k]));
            }
        }
        return window.snapshot();
    }

    /** The given tokens' expert sets at every layer: {@code sets[l][t]}. */
    static RoutingStats of(int experts, int[][][] sets) {
        RoutingStatsWindow window = window(sets.length, experts, 1 << 12);
        for (int l = 0; l < sets.length; l++) {
            for (int[] set : sets[l]) {
                window.record(l, new GateDecision(set, new float[set.length]));
            }
        }
        return window.snapshot();
    }

    private static RoutingStatsWindow window(int layers, int experts, int setsPerLayer) {
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);
        return new RoutingStatsWindow(layers, experts, Duration.ofSeconds(60), 6, setsPerLayer, clock);
    }

    /** k distinct experts, from {@code pool} if given, else from all. */
    private static int[] draw(SplittableRandom random, int experts, int k, int[] pool) {
        int[] all = pool != null ? pool.clone() : new int[experts];
        if (pool == null) {
            for (int i = 0; i < experts; i++) {
                all[i] = i;
            }
        }
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(all.length - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
            out[i] = all[i];
        }
        return out;
    }
}
