package io.moemesh.proto.codec;

import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Instant;

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
            b.addLayers(layer);
        }
        return b.build();
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
     * @throws IllegalStateException naming what does not match the snapshot's own shape, or what
     *     is out of bounds: a shape over the limits above, a layer listed twice or missing, a
     *     negative count, an end before the start
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
        long[] tokens = new long[layers];
        long[][] perExpert = new long[layers][];
        long[][] pairs = new long[layers][];
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
        }
        return new RoutingStats(layers, experts, Instant.ofEpochMilli(s.getWindowStartUnixMillis()),
                Instant.ofEpochMilli(s.getWindowEndUnixMillis()), tokens, perExpert, pairs);
    }

    private static long nonNegative(long count, int layer, String what) {
        if (count < 0) {
            throw new IllegalStateException("routing statistics for layer " + layer + " hold a negative " + what
                    + " count (" + count + ")");
        }
        return count;
    }
}
