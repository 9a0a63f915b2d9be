package io.moemesh.router.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.gate.GateDecision;
import org.junit.jupiter.api.Test;

/** Tokens per unit from the gate's decisions, and nothing at all when per-unit metrics are off. */
class UnitTokenMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static GateDecision route(int... experts) {
        return new GateDecision(experts, new float[experts.length]);
    }

    private double tokens(int layer, int expert) {
        return registry.get(UnitTokenMetrics.UNIT_TOKENS)
                .tags("layer", Integer.toString(layer), "expert", Integer.toString(expert)).counter().count();
    }

    @Test
    void countsATokenOnceForEachOfItsChosenExperts() {
        UnitTokenMetrics metrics = new UnitTokenMetrics(2, 4, true);
        metrics.bindTo(registry);

        metrics.onRoute(0, 0, route(1, 3));
        metrics.onRoute(0, 1, route(3, 0));
        metrics.onRoute(1, 0, route(2, 3));

        assertThat(tokens(0, 3)).isEqualTo(2);
        assertThat(tokens(0, 1)).isEqualTo(1);
        assertThat(tokens(0, 0)).isEqualTo(1);
        assertThat(tokens(0, 2)).isZero();
        assertThat(tokens(1, 3)).isEqualTo(1);
        assertThat(registry.find(UnitTokenMetrics.UNIT_TOKENS).counters()).as("every unit, 2 layers x 4 experts")
                .hasSize(8);
    }

    @Test
    void perUnitOffRegistersNoneAndCountsNothing() {
        UnitTokenMetrics metrics = new UnitTokenMetrics(2, 4, false);
        metrics.bindTo(registry);

        metrics.onRoute(0, 0, route(1, 3));

        assertThat(registry.find(UnitTokenMetrics.UNIT_TOKENS).meters()).isEmpty();
        assertThat(registry.getMeters()).isEmpty();
    }
}
