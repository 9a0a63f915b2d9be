package io.moemesh.core.routing;

import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.RoutingObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * Routing statistics over a sliding window, kept as a ring of time buckets: recording touches only
 * the current bucket, and a snapshot sums the buckets still inside the window. Memory is fixed
 * ({@code buckets × layers × experts²} counters) however much traffic passes. Thread-safe.
 */
public final class RoutingStatsWindow implements RoutingObserver {

    private final int numLayers;
    private final int numExperts;
    private final Clock clock;
    private final long bucketMillis;
    private final Bucket[] ring;

    /** Counts of one bucket; {@code epoch} is the bucket's index since the Unix epoch. */
    private static final class Bucket {
        long epoch = Long.MIN_VALUE;
        final long[] tokens;
        final long[][] experts;
        final long[][] pairs;

        Bucket(int layers, int experts) {
            tokens = new long[layers];
            this.experts = new long[layers][experts];
            pairs = new long[layers][experts * experts];
        }

        void reset(long newEpoch) {
            epoch = newEpoch;
            Arrays.fill(tokens, 0);
            for (long[] row : experts) {
                Arrays.fill(row, 0);
            }
            for (long[] row : pairs) {
                Arrays.fill(row, 0);
            }
        }
    }

    public RoutingStatsWindow(int numLayers, int numExperts, Duration window, int buckets, Clock clock) {
        if (buckets < 1 || window.toMillis() < buckets) {
            throw new IllegalArgumentException("window " + window + " must be at least " + buckets + " ms for "
                    + buckets + " buckets");
        }
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        this.clock = clock;
        this.bucketMillis = window.toMillis() / buckets;
        this.ring = new Bucket[buckets];
        for (int i = 0; i < buckets; i++) {
            ring[i] = new Bucket(numLayers, numExperts);
        }
    }

    @Override
    public void onRoute(int layer, int token, GateDecision decision) {
        record(layer, decision);
    }

    public synchronized void record(int layer, GateDecision decision) {
        Bucket b = current();
        b.tokens[layer]++;
        int[] chosen = decision.experts();
        for (int i = 0; i < chosen.length; i++) {
            b.experts[layer][chosen[i]]++;
            for (int j = i + 1; j < chosen.length; j++) {
                b.pairs[layer][chosen[i] * numExperts + chosen[j]]++;
                b.pairs[layer][chosen[j] * numExperts + chosen[i]]++;
            }
        }
    }

    /** The counts of the buckets that lie inside the window ending now. */
    public synchronized RoutingStats snapshot() {
        long nowEpoch = clock.millis() / bucketMillis;
        long oldest = nowEpoch - ring.length + 1;
        RoutingStats s = RoutingStats.empty(numLayers, numExperts,
                Instant.ofEpochMilli(oldest * bucketMillis), Instant.ofEpochMilli(clock.millis()));
        for (Bucket b : ring) {
            if (b.epoch < oldest || b.epoch > nowEpoch) {
                continue;
            }
            for (int l = 0; l < numLayers; l++) {
                s.tokens()[l] += b.tokens[l];
                add(s.expertTokens()[l], b.experts[l]);
                add(s.coactivation()[l], b.pairs[l]);
            }
        }
        return s;
    }

    private Bucket current() {
        long epoch = clock.millis() / bucketMillis;
        Bucket b = ring[(int) Math.floorMod(epoch, (long) ring.length)];
        if (b.epoch != epoch) {
            b.reset(epoch);
        }
        return b;
    }

    private static void add(long[] into, long[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] += from[i];
        }
    }
}
