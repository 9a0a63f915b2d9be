package io.moemesh.core.routing;

import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.RoutingObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Routing statistics over a sliding window, kept as a ring of time buckets: recording touches only
 * the current bucket, and a snapshot sums the buckets still inside the window. Memory is fixed
 * ({@code buckets × layers × experts²} counters, plus {@code buckets × layers × setsPerLayer}
 * tracked expert sets) however much traffic passes. Thread-safe.
 *
 * <p>Layers are MoE-layer ordinals (0 .. number of sparse layers - 1): a model whose first decoder
 * layers are dense records only its sparse ones.
 */
public final class RoutingStatsWindow implements RoutingObserver {

    /**
     * Expert sets tracked per layer and bucket unless configured: every set chosen by more than
     * 1/256 of a bucket's tokens is kept, at about 40 KB per layer and bucket for top-8.
     */
    public static final int DEFAULT_SETS_PER_LAYER = 256;

    private final int numLayers;
    private final int numExperts;
    private final int setsPerLayer;
    private final Clock clock;
    private final long bucketMillis;
    private final Bucket[] ring;

    /** Counts of one bucket; {@code epoch} is the bucket's index since the Unix epoch. */
    private static final class Bucket {
        long epoch = Long.MIN_VALUE;
        final long[] tokens;
        final long[][] experts;
        final long[][] pairs;
        final ExpertSetSketch[] sets;

        Bucket(int layers, int experts, int setsPerLayer) {
            tokens = new long[layers];
            this.experts = new long[layers][experts];
            pairs = new long[layers][experts * experts];
            sets = new ExpertSetSketch[layers];
            for (int l = 0; l < layers; l++) {
                sets[l] = new ExpertSetSketch(setsPerLayer);
            }
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
            for (ExpertSetSketch sketch : sets) {
                sketch.clear();
            }
        }
    }

    public RoutingStatsWindow(int numLayers, int numExperts, Duration window, int buckets, Clock clock) {
        this(numLayers, numExperts, window, buckets, DEFAULT_SETS_PER_LAYER, clock);
    }

    /**
     * @param setsPerLayer expert sets tracked per layer and bucket (and kept per layer in a
     *                     snapshot); the rest of the tokens are counted as "other"
     */
    public RoutingStatsWindow(int numLayers, int numExperts, Duration window, int buckets, int setsPerLayer,
            Clock clock) {
        if (setsPerLayer < 1) {
            throw new IllegalArgumentException("expert sets per layer must be at least 1, got " + setsPerLayer);
        }
        if (buckets < 1 || window.toMillis() < buckets) {
            throw new IllegalArgumentException("window " + window + " must be at least " + buckets + " ms for "
                    + buckets + " buckets");
        }
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        this.setsPerLayer = setsPerLayer;
        this.clock = clock;
        this.bucketMillis = window.toMillis() / buckets;
        this.ring = new Bucket[buckets];
        for (int i = 0; i < buckets; i++) {
            ring[i] = new Bucket(numLayers, numExperts, setsPerLayer);
        }
    }

    @Override
    public void onRoute(int layer, int token, GateDecision decision) {
        record(layer, decision);
    }

    /**
     * Records what the gate wanted, not where pruning sent the token: the statistics measure demand, so a
     * pruned expert's share stays visible and the pruning policy can restore it when traffic changes.
     */
    @Override
    public void onPrunedRoute(int layer, int token, GateDecision served, GateDecision wanted) {
        record(layer, wanted);
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
        int[] set = chosen.clone();
        Arrays.sort(set);
        b.sets[layer].record(set);
    }

    /** The counts of the buckets that lie inside the window ending now. */
    public synchronized RoutingStats snapshot() {
        long nowEpoch = clock.millis() / bucketMillis;
        long oldest = nowEpoch - ring.length + 1;
        RoutingStats s = RoutingStats.empty(numLayers, numExperts,
                Instant.ofEpochMilli(oldest * bucketMillis), Instant.ofEpochMilli(clock.millis()));
        List<List<ExpertSets>> sets = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            sets.add(new ArrayList<>());
        }
        for (Bucket b : ring) {
            if (b.epoch < oldest || b.epoch > nowEpoch) {
                continue;
            }
            for (int l = 0; l < numLayers; l++) {
                s.tokens()[l] += b.tokens[l];
                add(s.expertTokens()[l], b.experts[l]);
                add(s.coactivation()[l], b.pairs[l]);
                sets.get(l).add(b.sets[l].snapshot());
            }
        }
        ExpertSets[] merged = new ExpertSets[numLayers];
        for (int l = 0; l < numLayers; l++) {
            merged[l] = ExpertSets.merge(sets.get(l), setsPerLayer);
        }
        return s.withExpertSets(merged);
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
