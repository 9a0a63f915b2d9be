package io.moemesh.placement.grpc;

import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.Traffic;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.SortedSet;
import java.util.TreeSet;

/** Protobuf ↔ the controller's types, at the edge. */
final class ProtoMapping {

    private ProtoMapping() {
    }

    static RoutingStats stats(RoutingStatsSnapshot s) {
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

    static RoutingStatsSnapshot snapshot(RoutingStats s) {
        RoutingStatsSnapshot.Builder b = RoutingStatsSnapshot.newBuilder()
                .setWindowStartUnixMillis(s.windowStart().toEpochMilli())
                .setWindowEndUnixMillis(s.windowEnd().toEpochMilli())
                .setNumLayers(s.numLayers()).setNumExperts(s.numExperts());
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

    static Traffic traffic(DispatchTraffic t) {
        return new Traffic(t.getTokenSends(), t.getTokenLayers(), t.getBytesSent() + t.getBytesReceived());
    }

    static EndpointView endpoint(String target, DescribeResponse d) {
        return new EndpointView(target, d.hasService() ? OptionalInt.of(d.getService()) : OptionalInt.empty(),
                units(d.getBaseUnitsList()), units(d.getPartnerUnitsList()), units(d.getRetiringUnitsList()),
                d.getHiddenSize());
    }

    static SortedSet<Unit> units(List<io.moemesh.proto.internal.v1.Unit> units) {
        SortedSet<Unit> out = new TreeSet<>();
        units.forEach(u -> out.add(new Unit(u.getLayer(), u.getExpert())));
        return out;
    }

    static List<io.moemesh.proto.internal.v1.Unit> units(Collection<Unit> units) {
        return units.stream().map(u -> io.moemesh.proto.internal.v1.Unit.newBuilder().setLayer(u.layer())
                .setExpert(u.expert()).build()).toList();
    }
}
