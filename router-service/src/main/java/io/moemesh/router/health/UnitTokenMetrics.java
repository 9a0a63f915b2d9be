package io.moemesh.router.health;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.RoutingObserver;

/**
 * {@code moemesh.router.unit.tokens}: the tokens the gate routed to each unit (layer, expert), a token
 * once for each of its chosen experts, from the same decisions the routing statistics window counts.
 * One series per unit, so {@code moemesh.router.metrics.per-unit=false} turns it off (then this
 * registers nothing and counts nothing) for models with thousands of units.
 */
public final class UnitTokenMetrics implements MeterBinder, RoutingObserver {

    static final String UNIT_TOKENS = "moemesh.router.unit.tokens";

    private final int numLayers;
    private final int numExperts;
    private final boolean enabled;
    private volatile Counter[][] tokens;

    public UnitTokenMetrics(int numLayers, int numExperts, boolean enabled) {
        this.numLayers = numLayers;
        this.numExperts = numExperts;
        this.enabled = enabled;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (!enabled) {
            return;
        }
        Counter[][] counters = new Counter[numLayers][numExperts];
        for (int layer = 0; layer < numLayers; layer++) {
            for (int expert = 0; expert < numExperts; expert++) {
                counters[layer][expert] = Counter.builder(UNIT_TOKENS)
                        .tags("layer", Integer.toString(layer), "expert", Integer.toString(expert))
                        .description("tokens the gate routed to this unit, once per chosen expert")
                        .register(registry);
            }
        }
        tokens = counters;
    }

    @Override
    public void onRoute(int layer, int token, GateDecision decision) {
        Counter[][] counters = tokens;
        if (counters != null) {
            for (int expert : decision.experts()) {
                counters[layer][expert].increment();
            }
        }
    }
}
