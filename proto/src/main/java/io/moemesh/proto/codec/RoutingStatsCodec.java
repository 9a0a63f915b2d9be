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

    /** @throws IllegalStateException naming what does not match the snapshot's own shape */
    public static RoutingStats decode(RoutingStatsSnapshot s) {
        int layers = s.getNumLayers();
        int experts = s.getNumExperts();
        if (s.getLayersCount() != layers) {
            throw new IllegalStateException("routing statistics list " + s.getLayersCount() + " layers but say the"
                    + " model has " + layers);
        }
        long[] tokens = new long[layers];
        long[][] perExpert = new long[layers][];
        long[][] pairs = new long[layers][];
        for (LayerRoutingStats l : s.getLayersList()) {
            if (l.getLayer() < 0 || l.getLayer() >= layers || l.getTokensPerExpertCount() != experts
                    || l.getCoactivationCount() != experts * experts) {
                throw new IllegalStateException("malformed routing statistics for layer " + l.getLayer());
            }
            tokens[l.getLayer()] = l.getTokens();
            perExpert[l.getLayer()] = l.getTokensPerExpertList().stream().mapToLong(Long::longValue).toArray();
            pairs[l.getLayer()] = l.getCoactivationList().stream().mapToLong(Long::longValue).toArray();
        }
        return new RoutingStats(layers, experts, Instant.ofEpochMilli(s.getWindowStartUnixMillis()),
                Instant.ofEpochMilli(s.getWindowEndUnixMillis()), tokens, perExpert, pairs);
    }
}
