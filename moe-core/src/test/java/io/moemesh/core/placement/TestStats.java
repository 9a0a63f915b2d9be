package io.moemesh.core.placement;

import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.Random;

/** Top-2 routing statistics built from pair counts, so tokens and per-expert counts agree with them. */
final class TestStats {

    private TestStats() {
    }

    /** {@code pairs[l][i][j]} (i < j read) tokens chose experts i and j at layer l. */
    static RoutingStats fromPairs(long[][][] pairs) {
        int layers = pairs.length;
        int experts = pairs[0].length;
        RoutingStats s = RoutingStats.empty(layers, experts, Instant.EPOCH, Instant.EPOCH.plusSeconds(60));
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    long c = pairs[l][i][j];
                    s.coactivation()[l][i * experts + j] = c;
                    s.coactivation()[l][j * experts + i] = c;
                    s.expertTokens()[l][i] += c;
                    s.expertTokens()[l][j] += c;
                    s.tokens()[l] += c;
                }
            }
        }
        return s;
    }

    /** Skewed random pair counts (a few heavy pairs, many light), as real routers show. */
    static long[][][] randomPairs(int layers, int experts, long seed) {
        Random rnd = new Random(seed);
        long[][][] pairs = new long[layers][experts][experts];
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < experts; i++) {
                for (int j = i + 1; j < experts; j++) {
                    pairs[l][i][j] = (long) (1000 * Math.pow(rnd.nextDouble(), 4));
                }
            }
        }
        return pairs;
    }

    /** Moves every pair count by at most {@code relative} of itself, as the next window might. */
    static long[][][] perturb(long[][][] pairs, double relative, long seed) {
        Random rnd = new Random(seed);
        long[][][] out = new long[pairs.length][][];
        for (int l = 0; l < pairs.length; l++) {
            out[l] = new long[pairs[l].length][];
            for (int i = 0; i < pairs[l].length; i++) {
                out[l][i] = pairs[l][i].clone();
                for (int j = 0; j < out[l][i].length; j++) {
                    out[l][i][j] = Math.round(out[l][i][j] * (1 + relative * (2 * rnd.nextDouble() - 1)));
                }
            }
        }
        return out;
    }
}
