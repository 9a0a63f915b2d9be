package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.RoutingStats;
import java.time.Instant;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Worked examples with exact numbers; the invariants are in {@link PruningPolicyPropertiesTest}. */
class PruningPolicyTest {

    private static final long[][] SIX_BUSY_TWO_COLD = {{1000, 1000, 1000, 1000, 1000, 1000, 20, 5}};

    private static SortedSet<Integer> set(Integer... experts) {
        return new TreeSet<>(List.of(experts));
    }

    @Test
    void prunesColdExpertsWithinTheBudget() {
        PruningPlan plan = PruningPolicy.plan(SIX_BUSY_TWO_COLD, 2, set(), PruningSettings.defaults());

        assertThat(plan.pruned()).containsExactly(6, 7);
        assertThat(plan.added()).containsExactly(6, 7);
        assertThat(plan.restored()).isEmpty();
        assertThat(plan.refusedByBudget()).isEmpty();
        assertThat(plan.reroutedShare()).isEqualTo(25.0 / 6025);
        assertThat(plan.shares()[0]).isEqualTo(1000.0 / 6025);
        assertThat(plan.changes()).isTrue();
        assertThat(plan.decision()).isEqualTo("pruned 6, 7 (0.41% of routed token-slots, budget 2.0%)");
    }

    @Test
    void masksEveryMoeLayersUnitOfAPrunedExpert() {
        PruningPlan plan = PruningPolicy.plan(SIX_BUSY_TWO_COLD, 2, set(), PruningSettings.defaults());

        assertThat(plan.prunedUnits(2)).containsExactly(new Unit(0, 6), new Unit(0, 7), new Unit(1, 6), new Unit(1, 7));
    }

    @Test
    void plansFromARoutersStatisticsWindow() {
        RoutingStats stats = new RoutingStats(1, 8, Instant.EPOCH, Instant.EPOCH.plusSeconds(60), new long[] {3012},
                SIX_BUSY_TWO_COLD, new long[1][64]);

        assertThat(PruningPolicy.plan(stats, 2, set(), PruningSettings.defaults()))
                .isEqualTo(PruningPolicy.plan(SIX_BUSY_TWO_COLD, 2, set(), PruningSettings.defaults()));
    }

    @Test
    void sumsAnExpertsSlotsOverAllMoeLayers() {
        long[][] twoLayers = {{500, 500, 500, 500, 500, 500, 20, 0}, {500, 500, 500, 500, 500, 500, 0, 5}};

        PruningPlan plan = PruningPolicy.plan(twoLayers, 2, set(), PruningSettings.defaults());

        assertThat(plan.shares()).containsExactly(
                PruningPolicy.plan(SIX_BUSY_TWO_COLD, 2, set(), PruningSettings.defaults()).shares());
        assertThat(plan.pruned()).containsExactly(6, 7);
    }

    @Test
    void refusesColdExpertsThatWouldExceedTheBudget() {
        long[][] window = {{1000, 1000, 1000, 1000, 1000, 150, 100, 60}};
        PruningSettings settings = PruningSettings.defaults().withQualityBudget(0.03).withMaxPruned(4);

        PruningPlan plan = PruningPolicy.plan(window, 2, set(), settings);

        assertThat(plan.pruned()).containsExactly(7);
        assertThat(plan.refusedByBudget()).containsExactly(5, 6);
        assertThat(plan.decision()).isEqualTo("pruned 7 (1.1% of routed token-slots, budget 3.0%); "
                + "experts 5, 6 are cold but would exceed the budget");
    }

    @Test
    void keepsAPrunedExpertBetweenTheColdAndTheRestoreThreshold() {
        long[][] window = {{1000, 1000, 1000, 1000, 1000, 1000, 1000, 400}};
        PruningSettings settings = PruningSettings.defaults().withQualityBudget(0.1);

        PruningPlan plan = PruningPolicy.plan(window, 2, set(7), settings);

        assertThat(plan.pruned()).containsExactly(7);
        assertThat(plan.changes()).isFalse();
        assertThat(plan.decision()).isEqualTo("pruned 7 (5.4% of routed token-slots, budget 10.0%)");
    }

    @Test
    void restoresAPrunedExpertAboveTheRestoreThreshold() {
        long[][] window = {{1000, 1000, 1000, 1000, 1000, 1000, 1000, 500}};
        PruningSettings settings = PruningSettings.defaults().withQualityBudget(0.1);

        PruningPlan plan = PruningPolicy.plan(window, 2, set(7), settings);

        assertThat(plan.pruned()).isEmpty();
        assertThat(plan.restored()).containsExactly(7);
        assertThat(plan.changes()).isTrue();
        assertThat(plan.decision()).isEqualTo("nothing pruned: no expert is below the cold threshold of 3.1% "
                + "of routed token-slots; restored 7 (above the restore threshold of 6.3%)");
    }

    @Test
    void restoresTheCostliestPrunedExpertWhenTrafficPushesTheSetOverBudget() {
        long[][] window = {{1000, 1000, 1000, 1000, 1000, 1000, 100, 100}};

        PruningPlan plan = PruningPolicy.plan(window, 2, set(6, 7), PruningSettings.defaults());

        assertThat(plan.pruned()).containsExactly(7);
        assertThat(plan.restored()).containsExactly(6);
        assertThat(plan.added()).isEmpty();
        assertThat(plan.refusedByBudget()).isEmpty();
        assertThat(plan.decision()).isEqualTo("pruned 7 (1.6% of routed token-slots, budget 2.0%); "
                + "restored 6 (traffic changed: the pruned set rerouted 3.2%, over the budget)");
    }

    @Test
    void changesNothingOnAThinWindow() {
        long[][] window = {{500, 500, 0, 0}};

        PruningPlan plan = PruningPolicy.plan(window, 1, set(3), PruningSettings.defaults());

        assertThat(plan.pruned()).containsExactly(3);
        assertThat(plan.changes()).isFalse();
        assertThat(plan.reroutedShare()).isZero();
        assertThat(plan.decision()).isEqualTo(
                "window of 1000 routed token-slots is below the 2000 needed to judge; nothing changed (pruned 3)");
    }

    @Test
    void changesNothingOnAnEmptyWindowEvenWithoutAMinimum() {
        PruningSettings noMinimum = new PruningSettings(0.25, 0.02, 2, 2, 0);

        PruningPlan plan = PruningPolicy.plan(new long[2][4], 1, set(), noMinimum);

        assertThat(plan.pruned()).isEmpty();
        assertThat(plan.shares()).containsOnly(0.0);
        assertThat(plan.decision()).isEqualTo("window has no routed token-slots; nothing changed (nothing pruned)");
    }

    @Test
    void leavesTopKExpertsUnpruned() {
        long[][] window = {{3000, 3000, 1, 0}};
        PruningSettings settings = PruningSettings.defaults().withMaxPruned(4);

        PruningPlan plan = PruningPolicy.plan(window, 3, set(), settings);

        assertThat(plan.pruned()).containsExactly(3);
        assertThat(plan.decision()).isEqualTo("pruned 3 (0.0% of routed token-slots, budget 2.0%); "
                + "expert 2 is cold but at most 1 expert may be pruned");
    }

    @Test
    void defaultCapIsAQuarterOfTheExperts() {
        assertThat(PruningSettings.defaults().maxPrunedFor(64)).isEqualTo(16);
        assertThat(PruningSettings.defaults(8).maxPruned()).isEqualTo(2);
        long[][] window = {{1000, 1000, 1000, 1000, 1000, 0, 0, 0}};

        PruningPlan plan = PruningPolicy.plan(window, 2, set(), PruningSettings.defaults());

        assertThat(plan.pruned()).containsExactly(5, 6);
        assertThat(plan.decision()).endsWith("expert 7 is cold but at most 2 experts may be pruned");
    }

    @Test
    void zeroThresholdPrunesNothing() {
        PruningSettings off = new PruningSettings(0, 0.02, 4, 2, 0);

        PruningPlan plan = PruningPolicy.plan(SIX_BUSY_TWO_COLD, 2, set(), off);

        assertThat(plan.pruned()).isEmpty();
        assertThat(plan.changes()).isFalse();
    }

    @Test
    void rejectsSettingsWithActionableMessages() {
        assertThatThrownBy(() -> new PruningSettings(1.5, 0.02, 2, 2, 2000))
                .hasMessageContaining("threshold must be in [0, 1]");
        assertThatThrownBy(() -> new PruningSettings(0.25, 2, 2, 2, 2000))
                .hasMessageContaining("e.g. 0.02 for 2%");
        assertThatThrownBy(() -> new PruningSettings(0.25, 0.02, -2, 2, 2000))
                .hasMessageContaining("-1 for a quarter of the experts");
        assertThatThrownBy(() -> new PruningSettings(0.25, 0.02, 2, 0.5, 2000))
                .hasMessageContaining("restore factor must be a finite number >= 1");
        assertThatThrownBy(() -> new PruningSettings(0.25, 0.02, 2, 2, -1))
                .hasMessageContaining("minimum window");
    }

    @Test
    void rejectsMalformedWindowsAndPrunedSets() {
        PruningSettings settings = PruningSettings.defaults();
        assertThatThrownBy(() -> PruningPolicy.plan(new long[][] {{1, 2}, {1}}, 1, set(), settings))
                .hasMessage("MoE layer 1 has 1 expert counts, layer 0 has 2");
        assertThatThrownBy(() -> PruningPolicy.plan(new long[][] {{1, -2}}, 1, set(), settings))
                .hasMessage("negative token-slot count -2 for MoE layer 0 expert 1");
        assertThatThrownBy(() -> PruningPolicy.plan(new long[][] {{1, 2}}, 3, set(), settings))
                .hasMessage("top-k must be in [1, 2] for 2 experts, got 3");
        assertThatThrownBy(() -> PruningPolicy.plan(new long[][] {{1, 2}}, 1, set(2), settings))
                .hasMessage("pruned expert 2 is not in [0, 2)");
    }
}
