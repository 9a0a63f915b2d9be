package io.moemesh.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.gate.GateDecision;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpertSetsTest {

    private final RoutingStatsWindowTest.ManualClock clock = new RoutingStatsWindowTest.ManualClock();

    private static GateDecision route(int... experts) {
        return new GateDecision(experts, new float[experts.length]);
    }

    @Test
    void windowCountsEachTokensWholeSetWhateverTheGatesOrder() {
        RoutingStatsWindow window = new RoutingStatsWindow(2, 8, Duration.ofSeconds(60), 6, 16, clock);
        window.record(0, route(5, 1, 3));
        window.record(0, route(1, 3, 5));
        window.record(0, route(1, 2, 3));
        window.record(1, route(7, 6, 0));

        RoutingStats s = window.snapshot();

        assertThat(s.hasExpertSets()).isTrue();
        assertThat(s.topK()).isEqualTo(3);
        ExpertSets layer0 = s.expertSets()[0];
        assertThat(layer0.sets()).isDeepEqualTo(new int[][] {{1, 3, 5}, {1, 2, 3}});
        assertThat(layer0.counts()).containsExactly(2, 1);
        assertThat(layer0.otherTokens()).isZero();
        assertThat(s.expertSets()[1].sets()).isDeepEqualTo(new int[][] {{0, 6, 7}});
    }

    @Test
    void boundedSketchKeepsTotalsExactAndCountsAtOrBelowTheTruth() {
        ExpertSetSketch sketch = new ExpertSetSketch(8);
        SplittableRandom random = new SplittableRandom(3);
        Map<List<Integer>, Long> truth = new HashMap<>();
        for (int t = 0; t < 20_000; t++) {
            // a few heavy sets, many light ones
            int a = random.nextDouble() < 0.5 ? random.nextInt(3) : 3 + random.nextInt(200);
            int[] set = {a, 1000 + a, 2000 + a};
            sketch.record(set);
            truth.merge(List.of(set[0], set[1], set[2]), 1L, Long::sum);
        }

        ExpertSets s = sketch.snapshot();

        assertThat(s.size()).isLessThanOrEqualTo(8);
        assertThat(s.listedTokens() + s.otherTokens()).isEqualTo(20_000);
        for (int i = 0; i < s.size(); i++) {
            int[] set = s.sets()[i];
            assertThat(s.counts()[i]).isLessThanOrEqualTo(truth.get(List.of(set[0], set[1], set[2])));
        }
        // the three heavy sets (about 3,300 tokens each, above 20,000 / 8) are listed
        for (int heavy = 0; heavy < 3; heavy++) {
            int h = heavy;
            assertThat(Arrays.stream(s.sets()).anyMatch(set -> set[0] == h)).as("heavy set %d listed", h).isTrue();
        }
    }

    @Test
    void mergeAddsTheSameSetAndMovesTheLightestPastCapacityToOther() {
        ExpertSets a = new ExpertSets(new int[][] {{0, 1, 2}, {1, 2, 3}}, new long[] {5, 2}, 3);
        ExpertSets b = new ExpertSets(new int[][] {{1, 2, 3}, {4, 5, 6}}, new long[] {4, 1}, 0);

        ExpertSets merged = ExpertSets.merge(List.of(a, b), 2);

        assertThat(merged.sets()).isDeepEqualTo(new int[][] {{1, 2, 3}, {0, 1, 2}});
        assertThat(merged.counts()).containsExactly(6, 5);
        assertThat(merged.otherTokens()).isEqualTo(3 + 1);
    }

    @Test
    void refusesAWindowWithoutRoomForASet() {
        assertThatThrownBy(() -> new RoutingStatsWindow(1, 4, Duration.ofSeconds(60), 6, 0, clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    @Test
    void setsSeenOnceAreKeptWithoutFavouringLowExpertIndices() {
        // 64 sets seen once each, 32 places: ordering ties by the sets would keep only those starting at 0..31
        ExpertSets[] parts = new ExpertSets[64];
        for (int i = 0; i < 64; i++) {
            parts[i] = new ExpertSets(new int[][] {{i, 64 + i, 128 + i}}, new long[] {1}, 0);
        }

        ExpertSets merged = ExpertSets.merge(List.of(parts), 32);

        long high = Arrays.stream(merged.sets()).filter(set -> set[0] >= 32).count();
        assertThat(high).isBetween(8L, 24L);
        assertThat(merged.otherTokens()).isEqualTo(32);
        assertThat(ExpertSets.merge(List.of(parts), 32).sets()).isDeepEqualTo(merged.sets());
    }
}
