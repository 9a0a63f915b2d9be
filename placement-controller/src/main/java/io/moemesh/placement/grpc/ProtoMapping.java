package io.moemesh.placement.grpc;

import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.Traffic;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.SortedSet;
import java.util.TreeSet;

/** Protobuf ↔ the controller's types, at the edge. */
final class ProtoMapping {

    private ProtoMapping() {
    }

    /** @throws IllegalStateException for a negative counter or byte counts whose sum overflows */
    static Traffic traffic(DispatchTraffic t) {
        if (t.getTokenSends() < 0 || t.getTokenLayers() < 0 || t.getBytesSent() < 0 || t.getBytesReceived() < 0) {
            throw new IllegalStateException("dispatch counters must not be negative: " + t.toString().replace('\n', ' '));
        }
        try {
            return new Traffic(t.getTokenSends(), t.getTokenLayers(), Math.addExact(t.getBytesSent(), t.getBytesReceived()));
        } catch (ArithmeticException overflow) {
            throw new IllegalStateException("dispatch byte counters overflow when added", overflow);
        }
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
