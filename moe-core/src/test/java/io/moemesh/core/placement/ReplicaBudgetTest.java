package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Worked examples with exact numbers; the invariants are in {@link ReplicaBudgetPropertiesTest}. */
class ReplicaBudgetTest {

    private static final double[] LOAD = {10, 40, 20, 0};
    private static final int[] TARGETS = {4, 4, 4, 4};

    @Test
    void givesExtraReplicasToTheHighestLoadPerReplicaTiesToTheLowerIndex() {
        // extras: 1 (40), 1 (20 ties 20, lower index), 2 (20), 1 (13.3 beats 10 and 10)
        assertThat(ReplicaBudget.allocate(LOAD, TARGETS, new TreeSet<>(), 8)).containsExactly(1, 4, 2, 1);
    }

    @Test
    void givesPrunedServicesNothingAndTheirShareToOthers() {
        // extras: 2 (20), 0 (10 ties 10), 2 (10), 2 (6.7), 0 (5 after 2 is at its target)
        assertThat(ReplicaBudget.allocate(LOAD, TARGETS, new TreeSet<>(List.of(1)), 8))
                .containsExactly(3, 0, 4, 1);
    }

    @Test
    void stopsAtTheTargetsWhenProcessesAreLeftOver() {
        assertThat(ReplicaBudget.allocate(LOAD, new int[] {1, 2, 0, 3}, new TreeSet<>(), 100))
                .containsExactly(1, 2, 1, 1);
    }

    @Test
    void runsEveryUnprunedServiceOnceEvenOverTheLimit() {
        SortedSet<Integer> pruned = new TreeSet<>(List.of(3));

        assertThat(ReplicaBudget.allocate(LOAD, TARGETS, pruned, 2)).containsExactly(1, 1, 1, 0);
    }

    @Test
    void rejectsMismatchedInputs() {
        assertThatThrownBy(() -> ReplicaBudget.allocate(new double[2], new int[3], new TreeSet<>(), 4))
                .hasMessageContaining("got 2 loads and 3 targets");
        assertThatThrownBy(() -> ReplicaBudget.allocate(new double[] {1, Double.NaN}, new int[2], new TreeSet<>(), 4))
                .hasMessage("load of service 1 must be finite and >= 0, got NaN");
        assertThatThrownBy(() -> ReplicaBudget.allocate(new double[2], new int[2], new TreeSet<>(List.of(5)), 4))
                .hasMessage("pruned service 5 is not in [0, 2)");
    }
}
