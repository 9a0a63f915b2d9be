package io.moemesh.proto.codec;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.internal.v1.ExpertSetCount;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A router's routing statistics on the wire ({@code RoutingStatsSnapshot}, without its traffic
 * counters): the router encodes its window, the placement controller decodes it and checks what a
 * peer could get wrong.
 */
public final class RoutingStatsCodec {

    private RoutingStatsCodec() {
    }

    public static RoutingStatsSnapshot encode(RoutingStats s) {
        RoutingStatsSnapshot.Builder b = RoutingStatsSnapshot.newBuilder()
                .setWindowStartUnixMillis(s.windowStart().toEpochMilli())
                .setWindowEndUnixMillis(s.windowEnd().toEpochMilli())
                .setNumLayers(s.numLayers())
                .setNumExperts(s.numExperts());
        for (int l = 0; l < s.numLayers(); l++) {
            LayerRoutingStats.Builder layer = LayerRoutingStats.newBuilder().setLayer(l).setTokens(s.tokens()[l]);
            for (long n : s.expertTokens()[l]) {
                layer.addTokensPerExpert(n);
            }
            for (long n : s.coactivation()[l]) {
                layer.addCoactivation(n);
            }
            if (s.hasExpertSets()) {
                ExpertSets sets = s.expertSets()[l];
                for (int i = 0; i < sets.size(); i++) {
                    ExpertSetCount.Builder set = ExpertSetCount.newBuilder().setTokens(sets.counts()[i]);
                    for (int e : sets.sets()[i]) {
                        set.addExperts(e);
                    }
                    layer.addExpertSets(set);
                }
            }
            b.addLayers(layer);
        }
        return b.setExpertSetsRecorded(s.hasExpertSets()).build();
    }

    /**
     * Largest model shape a snapshot may describe: experts per layer, layers, and co-activation
     * cells in all ({@code layers × experts²}, 8 bytes each: 64 MiB at the limit). Far above any
     * model the mesh serves; they bound what a peer can make the controller allocate.
     */
    public static final int MAX_EXPERTS = 1024;
    public static final int MAX_LAYERS = 1024;
    public static final long MAX_COACTIVATION_CELLS = 8L << 20;

    /**
     * Bounds on expert sets: sets per layer, experts per set (the gate's k), and expert indices
     * listed over all sets of all layers (4 bytes each in memory: 32 MiB at the limit).
     */
    public static final int MAX_EXPERT_SETS_PER_LAYER = 1 << 16;
    public static final int MAX_SET_SIZE = 64;
    public static final long MAX_EXPERT_SET_CELLS = 8L << 20;

    /**
     * @throws IllegalStateException naming what does not match the snapshot's own shape, or what
     *     is out of bounds: a shape over the limits above, a layer listed twice or missing, a
     *     negative count, an end before the start; an expert set that is not strictly ascending,
     *     names an expert the model lacks, differs in size from the layer's others or is listed
     *     twice, or sets that claim more tokens than the layer had
     */
    public static RoutingStats decode(RoutingStatsSnapshot s) {
        int layers = s.getNumLayers();
        int experts = s.getNumExperts();
        if (layers < 1 || layers > MAX_LAYERS || experts < 1 || experts > MAX_EXPERTS
                || (long) layers * experts * experts > MAX_COACTIVATION_CELLS) {
            throw new IllegalStateException("routing statistics describe " + layers + " layers x " + experts
                    + " experts; the controller accepts 1.." + MAX_LAYERS + " layers, 1.." + MAX_EXPERTS
                    + " experts and at most " + MAX_COACTIVATION_CELLS + " co-activation cells");
        }
        if (s.getLayersCount() != layers) {
            throw new IllegalStateException("routing statistics list " + s.getLayersCount() + " layers but say the"
                    + " model has " + layers);
        }
        if (s.getWindowEndUnixMillis() < s.getWindowStartUnixMillis()) {
            throw new IllegalStateException("routing statistics window ends (" + s.getWindowEndUnixMillis()
                    + ") before it starts (" + s.getWindowStartUnixMillis() + ")");
        }
        long setCells = 0;
        for (LayerRoutingStats l : s.getLayersList()) {
            for (ExpertSetCount set : l.getExpertSetsList()) {
                setCells += set.getExpertsCount();
            }
        }
        if (setCells > MAX_EXPERT_SET_CELLS) {
            throw new IllegalStateException("routing statistics list " + setCells + " experts in expert sets; the"
                    + " controller accepts at most " + MAX_EXPERT_SET_CELLS);
        }
        long[] tokens = new long[layers];
        long[][] perExpert = new long[layers][];
        long[][] pairs = new long[layers][];
        ExpertSets[] sets = s.getExpertSetsRecorded() ? new ExpertSets[layers] : null;
        for (LayerRoutingStats l : s.getLayersList()) {
            int layer = l.getLayer();
            if (layer < 0 || layer >= layers || l.getTokensPerExpertCount() != experts
                    || l.getCoactivationCount() != experts * experts) {
                throw new IllegalStateException("malformed routing statistics for layer " + layer + ": "
                        + l.getTokensPerExpertCount() + " expert counts and " + l.getCoactivationCount()
                        + " co-activation counts for " + experts + " experts");
            }
            if (perExpert[layer] != null) {
                throw new IllegalStateException("routing statistics list layer " + layer + " twice");
            }
            tokens[layer] = nonNegative(l.getTokens(), layer, "tokens");
            perExpert[layer] = l.getTokensPerExpertList().stream().mapToLong(n -> nonNegative(n, layer, "tokens per expert"))
                    .toArray();
            pairs[layer] = l.getCoactivationList().stream().mapToLong(n -> nonNegative(n, layer, "co-activation"))
                    .toArray();
            if (sets != null) {
                sets[layer] = expertSets(l.getExpertSetsList(), layer, experts, tokens[layer]);
            } else if (l.getExpertSetsCount() > 0) {
                throw new IllegalStateException("routing statistics list expert sets for layer " + layer
                        + " but do not say expert sets were recorded");
            }
        }
        return new RoutingStats(layers, experts, Instant.ofEpochMilli(s.getWindowStartUnixMillis()),
                Instant.ofEpochMilli(s.getWindowEndUnixMillis()), tokens, perExpert, pairs, sets);
    }

    private static ExpertSets expertSets(List<ExpertSetCount> wire, int layer, int experts, long tokens) {
        if (wire.size() > MAX_EXPERT_SETS_PER_LAYER) {
            throw new IllegalStateException("routing statistics list " + wire.size() + " expert sets for layer "
                    + layer + "; the controller accepts at most " + MAX_EXPERT_SETS_PER_LAYER);
        }
        int[][] sets = new int[wire.size()][];
        long[] counts = new long[wire.size()];
        long listed = 0;
        Set<List<Integer>> seen = new HashSet<>();
        for (int i = 0; i < sets.length; i++) {
            ExpertSetCount set = wire.get(i);
            int[] e = set.getExpertsList().stream().mapToInt(Integer::intValue).toArray();
            if (e.length < 1 || e.length > Math.min(MAX_SET_SIZE, experts) || i > 0 && e.length != sets[0].length) {
                throw new IllegalStateException("expert set " + Arrays.toString(e) + " of layer " + layer + " has "
                        + e.length + " experts; a layer's sets all hold the gate's k, 1.." + Math.min(MAX_SET_SIZE, experts));
            }
            for (int a = 0; a < e.length; a++) {
                if (e[a] < 0 || e[a] >= experts || a > 0 && e[a] <= e[a - 1]) {
                    throw new IllegalStateException("expert set " + Arrays.toString(e) + " of layer " + layer
                            + " is not strictly ascending within 0.." + (experts - 1));
                }
            }
            if (!seen.add(set.getExpertsList())) {
                throw new IllegalStateException("routing statistics list expert set " + Arrays.toString(e)
                        + " of layer " + layer + " twice");
            }
            sets[i] = e;
            counts[i] = nonNegative(set.getTokens(), layer, "expert set");
            listed += counts[i];
            if (listed < 0 || listed > tokens) {
                throw new IllegalStateException("expert sets of layer " + layer + " claim more tokens than the layer's "
                        + tokens);
            }
        }
        return new ExpertSets(sets, counts, tokens - listed);
    }

    private static long nonNegative(long count, int layer, String what) {
        if (count < 0) {
            throw new IllegalStateException("routing statistics for layer " + layer + " hold a negative " + what
                    + " count (" + count + ")");
        }
        return count;
    }
}
