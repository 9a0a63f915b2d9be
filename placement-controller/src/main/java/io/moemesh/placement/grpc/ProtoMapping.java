package io.moemesh.placement.grpc;

import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.EndpointCounters;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.RouterCounters;
import io.moemesh.placement.round.Traffic;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.EndpointCalls;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.internal.v1.SchedulerTiming;
import java.util.ArrayList;
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

    /** Most endpoints one router may report, and most latency buckets per endpoint: bounds on what a peer makes us keep. */
    static final int MAX_ENDPOINTS = 4096;
    static final int MAX_BUCKETS = 1024; // the router publishes 161 (StepTimes: 16 µs to ~17 s, 8 per doubling)

    /**
     * The token and per-endpoint counters of a snapshot (zero and empty from a router that does not
     * fill them in). A latency histogram that does not fit its bounds (unsorted bounds, a count list
     * not one longer, too many buckets) is dropped, leaving the calls; a negative counter refuses the
     * whole reading like a negative dispatch counter does.
     *
     * @throws IllegalStateException for a negative counter or more than {@link #MAX_ENDPOINTS} endpoints
     */
    static RouterCounters counters(RoutingStatsSnapshot s) {
        SchedulerTiming t = s.getScheduler();
        nonNegative("scheduler", t.getTokens(), t.getGeneratedTokens(), t.getDegradedTokens());
        if (s.getEndpointCallsCount() > MAX_ENDPOINTS) {
            throw new IllegalStateException("endpoint_calls lists " + s.getEndpointCallsCount()
                    + " endpoints, at most " + MAX_ENDPOINTS + " are accepted");
        }
        List<EndpointCounters> endpoints = new ArrayList<>();
        for (EndpointCalls c : s.getEndpointCallsList()) {
            nonNegative("endpoint " + c.getEndpoint(), c.getCalls(), c.getFailedCalls(), c.getRefusedCalls(),
                    c.getLatencyNanos());
            boolean fits = histogramFits(c);
            endpoints.add(new EndpointCounters(c.getEndpoint(), c.getTarget(), c.getCalls(), c.getFailedCalls(),
                    c.getRefusedCalls(), c.getLatencyNanos(),
                    fits ? longs(c.getLatencyMicrosBoundsList()) : new long[0],
                    fits ? longs(c.getLatencyMicrosCountsList()) : new long[0], c.getAccepting()));
        }
        return new RouterCounters(t.getTokens(), t.getGeneratedTokens(), t.getDegradedTokens(), endpoints);
    }

    private static boolean histogramFits(EndpointCalls c) {
        List<Long> bounds = c.getLatencyMicrosBoundsList();
        List<Long> counts = c.getLatencyMicrosCountsList();
        if (counts.size() != bounds.size() + 1 || bounds.size() > MAX_BUCKETS) {
            return false;
        }
        for (int i = 0; i < bounds.size(); i++) {
            if (bounds.get(i) <= (i == 0 ? 0 : bounds.get(i - 1))) {
                return false;
            }
        }
        return counts.stream().allMatch(n -> n >= 0);
    }

    private static void nonNegative(String what, long... counters) {
        for (long n : counters) {
            if (n < 0) {
                throw new IllegalStateException(what + " counters must not be negative, got " + n);
            }
        }
    }

    private static long[] longs(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
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
