package io.moemesh.router.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The remote dispatch's meters ({@code docs/observability.md} lists them): per layer step time, per
 * unit Compute calls (only while {@code perUnit}), per endpoint calls by outcome and their latency,
 * and the cumulative token and byte counters of {@link RemoteExperts#traffic()}.
 *
 * <p>Cardinality stays bounded: per-layer and per-unit meters are fixed by the model; per-endpoint
 * meters exist for the endpoints the router routes to now and are removed when {@link
 * RemoteExperts#reconcile} drops one. Timers publish a fixed set of {@link #LATENCY_BUCKETS}, never
 * Micrometer's percentile histogram (dozens of buckets per series).
 *
 * <p>Counters that {@link TrafficCounters} (read as {@link RemoteExperts#traffic()}) and {@link
 * EndpointCallStats} already keep are published as {@link FunctionCounter}s over them, not counted a
 * second time.
 */
public final class DispatchMetrics implements MeterBinder {

    static final String LAYER_STEP = "moemesh.router.layer.step";
    static final String UNIT_CALLS = "moemesh.router.unit.calls";
    static final String EXPERT_CALLS = "moemesh.router.expert.calls";
    static final String EXPERT_CALL_LATENCY = "moemesh.router.expert.call.latency";

    /** Layer steps and expert calls: 1 ms to 5 s, about ×2.5 apart (loopback calls take ~1 ms, timeouts 5 s). */
    static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofNanos(2_500_000_000L), Duration.ofSeconds(5)};

    private final RemoteExperts experts;
    private final int numLayers;
    private final int numExperts;
    private final boolean perUnit;
    private MeterRegistry registry; // guarded by this
    private final Map<ExpertClient, List<Meter>> endpointMeters = new IdentityHashMap<>(); // guarded by this
    private volatile Timer[] layerSteps;
    private volatile Counter[][] unitCalls;

    /**
     * Starts counting {@code experts}' layer steps and calls; the meters appear once bound to a registry.
     *
     * @param perUnit whether to publish {@code moemesh.router.unit.calls} (one series per layer and expert)
     */
    public DispatchMetrics(RemoteExperts experts, int numLayers, int numExperts, boolean perUnit) {
        this.experts = experts;
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        this.perUnit = perUnit;
        experts.publishTo(this);
    }

    @Override
    public synchronized void bindTo(MeterRegistry meters) {
        registry = meters;
        traffic("moemesh.router.dispatch.token.sends", "tokens sent in Compute calls: a token whose experts live"
                + " on two endpoints counts twice", RemoteExperts.Traffic::tokenSends).register(meters);
        traffic("moemesh.router.dispatch.token.layers", "tokens of completed MoE layer steps, each once per layer",
                RemoteExperts.Traffic::tokenLayers).register(meters);
        traffic("moemesh.router.dispatch.bytes", "hidden-state bytes sent to and partial sums received from experts",
                RemoteExperts.Traffic::bytesSent).baseUnit(BaseUnits.BYTES).tag("direction", "sent").register(meters);
        traffic("moemesh.router.dispatch.bytes", "hidden-state bytes sent to and partial sums received from experts",
                RemoteExperts.Traffic::bytesReceived).baseUnit(BaseUnits.BYTES).tag("direction", "received")
                .register(meters);
        Timer[] steps = new Timer[numLayers];
        for (int layer = 0; layer < numLayers; layer++) {
            steps[layer] = Timer.builder(LAYER_STEP).tag("layer", Integer.toString(layer))
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .description("one MoE layer step in the router: every expert call of it, retries included")
                    .register(meters);
        }
        layerSteps = steps;
        if (perUnit) {
            Counter[][] calls = new Counter[numLayers][numExperts];
            for (int layer = 0; layer < numLayers; layer++) {
                for (int expert = 0; expert < numExperts; expert++) {
                    calls[layer][expert] = Counter.builder(UNIT_CALLS)
                            .tags("layer", Integer.toString(layer), "expert", Integer.toString(expert))
                            .description("Compute calls that carried tokens for this unit").register(meters);
                }
            }
            unitCalls = calls;
        }
        endpointsChanged();
    }

    private FunctionCounter.Builder<RemoteExperts> traffic(String name, String description,
            ToDoubleFunction<RemoteExperts.Traffic> value) {
        return FunctionCounter.builder(name, experts, e -> value.applyAsDouble(e.traffic())).description(description);
    }

    /** A layer step of {@code layer} took {@code nanos}. */
    void stepped(int layer, long nanos) {
        Timer[] steps = layerSteps;
        if (steps != null) {
            steps[layer].record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A Compute call was sent with {@code a}'s tokens: one call for each unit it carries tokens for. */
    void sent(int layer, Assignment a) {
        Counter[][] calls = unitCalls;
        if (calls == null) {
            return;
        }
        BitSet units = new BitSet(numExperts);
        for (int[] tokenExperts : a.experts()) {
            for (int expert : tokenExperts) {
                units.set(expert);
            }
        }
        units.stream().forEach(expert -> calls[layer][expert].increment());
    }

    /**
     * Registers the meters of endpoints the router now routes to and removes those of endpoints it
     * dropped (their series end). A client that stays keeps its meters, so their counts go on.
     */
    synchronized void endpointsChanged() {
        if (registry == null) {
            return;
        }
        Set<ExpertClient> current = Collections.newSetFromMap(new IdentityHashMap<>());
        current.addAll(experts.clients());
        endpointMeters.entrySet().removeIf(e -> {
            if (current.contains(e.getKey())) {
                return false;
            }
            e.getKey().calls().publishLatencyTo(null);
            e.getValue().forEach(registry::remove);
            return true;
        });
        for (ExpertClient client : current) {
            endpointMeters.computeIfAbsent(client, this::register);
        }
    }

    private List<Meter> register(ExpertClient client) {
        EndpointCallStats stats = client.calls();
        Tags endpoint = Tags.of("endpoint", client.endpoint().id());
        List<Meter> meters = new ArrayList<>(4);
        meters.add(calls(endpoint, "ok", stats, EndpointCallStats::succeededCalls));
        meters.add(calls(endpoint, "failed", stats, EndpointCallStats::failedCalls));
        meters.add(calls(endpoint, "refused", stats, EndpointCallStats::refusedCalls));
        Timer latency = Timer.builder(EXPERT_CALL_LATENCY).tags(endpoint).serviceLevelObjectives(LATENCY_BUCKETS)
                .description("router wall time of a Compute call sent to this endpoint, from send to answer or error")
                .register(registry);
        stats.publishLatencyTo(latency);
        meters.add(latency);
        return meters;
    }

    private Meter calls(Tags endpoint, String outcome, EndpointCallStats stats, ToDoubleFunction<EndpointCallStats> f) {
        return FunctionCounter.builder(EXPERT_CALLS, stats, f).tags(endpoint).tag("outcome", outcome)
                .description("Compute calls to this endpoint: ok, failed, or refused (bulkhead full or breaker open,"
                        + " never sent)")
                .register(registry);
    }
}
