package io.moemesh.placement.dashboard;

import io.moemesh.core.placement.Unit;
import java.util.List;

/**
 * What {@code GET /dashboard/api/state} returns (as JSON): the feed's latest poll, built once per
 * poll. Rates are null until a router has been read twice since it (re)started.
 *
 * @param state   {@code empty} (no token in the routers' window yet), {@code live}, or {@code error}
 *                (no router could be read at the last poll)
 * @param updated unix millis of the poll the data comes from (0 before the first)
 */
public record DashboardView(String state, long updated, long refreshMillis, String error, Model model,
        List<Layer> layers, Summary summary, List<Point> history, List<Router> routers,
        List<EndpointRow> endpoints, List<ServiceRow> services, Placement placement) {

    /** The model's shape and the routers' statistics window (merged). */
    public record Model(int layers, int experts, long windowStart, long windowEnd) {
    }

    /**
     * One layer's window, summed over routers: tokens through it, tokens per expert, and the
     * co-activation counts ({@code experts x experts}, row-major).
     */
    public record Layer(int layer, long tokens, long[] experts, long[] coactivation) {
    }

    /** Rates over the last two readings of every router, summed (null until known). */
    public record Summary(Double tokensPerSecond, Double degradedRate, Double callsPerToken, Double bytesPerToken) {
    }

    public record Point(long at, double tokensPerSecond) {
    }

    /** A router and whether the last poll could read it. */
    public record Router(String name, boolean ok, String error, long lastRead) {
    }

    /** One expert endpoint, its calls summed over the routers that call it. */
    public record EndpointRow(String endpoint, String target, Double callsPerSecond, Double errorRate,
            Double refusedPerSecond, Double p50Millis, Double p99Millis, boolean accepting, int routers) {
    }

    /**
     * One expert service: its endpoints, its own (base) units and its partner units, and the units
     * the last applied re-placement added to and removed from it.
     */
    public record ServiceRow(int service, List<String> endpoints, List<Unit> base, List<Unit> partners,
            List<Unit> added, List<Unit> removed) {
    }

    /**
     * The placement controller's side: the latest round's decision, the plans applied, and the last
     * applied re-placement (null before the first), and where the services' units came from
     * ({@code round}: the latest round's live placement; {@code routers}: the routers' endpoint lists).
     */
    public record Placement(String decision, Long at, long plansApplied, LastChange lastChange,
            String servicesFrom, Double expectedCallsPerToken, Double baselineCallsPerToken) {
    }

    public record LastChange(long at, String decision, int servicesChanged) {
    }
}
