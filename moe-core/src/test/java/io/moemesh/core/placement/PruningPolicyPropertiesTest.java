package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.IntStream;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.data.Offset;

class PruningPolicyPropertiesTest {

    /** Shares and budgets go through a division; compare with this slack. */
    private static final double EPS = 1e-12;

    /**
     * A random window (a mix of busy, cold and dead experts), top-k, currently pruned set (any subset,
     * so restore is exercised past the caps) and settings, all drawn from one seed.
     */
    record Case(long[][] wanted, int topK, SortedSet<Integer> prunedNow, PruningSettings settings) {

        static Case of(int layers, int experts, long seed) {
            Random r = new Random(seed);
            long[][] wanted = new long[layers][experts];
            long base = 50 + r.nextInt(1000);
            for (int e = 0; e < experts; e++) {
                double kind = r.nextDouble();
                double weight = kind < 0.1 ? 0 : kind < 0.45 ? r.nextDouble() * 0.08 : 0.5 + r.nextDouble();
                for (int l = 0; l < layers; l++) {
                    wanted[l][e] = (long) (weight * base * (0.5 + r.nextDouble()));
                }
            }
            SortedSet<Integer> prunedNow = new TreeSet<>();
            for (int e = 0; e < experts; e++) {
                if (r.nextDouble() < 0.2) {
                    prunedNow.add(e);
                }
            }
            PruningSettings settings = new PruningSettings(r.nextInt(101) / 100.0, r.nextInt(101) / 1000.0,
                    r.nextInt(experts + 2) - 1, 1 + r.nextInt(31) / 10.0, r.nextInt(3) == 0 ? 0 : r.nextInt(3000));
            return new Case(wanted, 1 + r.nextInt(Math.min(4, experts)), prunedNow, settings);
        }

        Case withPrunedNow(SortedSet<Integer> pruned) {
            return new Case(wanted, topK, pruned, settings);
        }

        PruningPlan plan() {
            return PruningPolicy.plan(wanted, topK, prunedNow, settings);
        }

        int experts() {
            return wanted[0].length;
        }

        long total() {
            long t = 0;
            for (long[] layer : wanted) {
                for (long c : layer) {
                    t += c;
                }
            }
            return t;
        }

        boolean judged() {
            return total() > 0 && total() >= settings.minWindowSlots();
        }

        double coldLimit() {
            return settings.threshold() / experts();
        }

        double restoreLimit() {
            return settings.restoreFactor() * coldLimit();
        }
    }

    @Property(tries = 300)
    void judgedPlanReroutesNoMoreThanTheBudget(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);

        PruningPlan plan = c.plan();

        if (c.judged() || !plan.added().isEmpty()) {
            assertThat(plan.reroutedShare()).isLessThanOrEqualTo(c.settings().qualityBudget() + EPS);
        }
        double sum = plan.pruned().stream().mapToDouble(e -> plan.shares()[e]).sum();
        assertThat(plan.reroutedShare()).isCloseTo(sum, Offset.offset(1e-9));
    }

    @Property(tries = 300)
    void respectsMaxPrunedAndLeavesTopKExperts(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);
        Assume.that(c.judged());

        PruningPlan plan = c.plan();

        assertThat(plan.pruned().size()).isLessThanOrEqualTo(c.settings().maxPrunedFor(experts));
        assertThat(experts - plan.pruned().size()).isGreaterThanOrEqualTo(c.topK());
    }

    @Property(tries = 300)
    void planningAgainOnTheResultChangesNothing(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);
        PruningPlan first = c.plan();

        PruningPlan again = c.withPrunedNow(first.pruned()).plan();

        assertThat(again.pruned()).isEqualTo(first.pruned());
        assertThat(again.changes()).as(again.decision()).isFalse();
        assertThat(again.reroutedShare()).isEqualTo(first.reroutedShare());
    }

    @Property(tries = 300)
    void restoresEveryPrunedExpertAboveTheRestoreThreshold(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);
        Assume.that(c.judged());

        PruningPlan plan = c.plan();

        for (int e : c.prunedNow()) {
            if (plan.shares()[e] > c.restoreLimit()) {
                assertThat(plan.restored()).contains(e);
                assertThat(plan.pruned()).doesNotContain(e);
            }
        }
    }

    @Property(tries = 200)
    void restoresAPrunedExpertWhoseTrafficRises(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed).withPrunedNow(new TreeSet<>());
        PruningPlan before = c.plan();
        Assume.that(!before.pruned().isEmpty() && c.restoreLimit() < 0.9);
        int hot = before.pruned().last();
        long[][] shifted = new long[layers][];
        for (int l = 0; l < layers; l++) {
            shifted[l] = c.wanted()[l].clone();
            shifted[l][hot] = 10 * Math.max(1, c.total());
        }

        PruningPlan after = PruningPolicy.plan(shifted, c.topK(), before.pruned(), c.settings());

        assertThat(after.restored()).contains(hot);
        assertThat(after.pruned()).doesNotContain(hot);
        assertThat(after.changes()).isTrue();
    }

    @Property(tries = 300)
    void keepsAPrunedSetThatStillFitsBetweenTheThresholds(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case drawn = Case.of(layers, experts, seed);
        // a roomier budget, so that experts between the thresholds fit it often
        Case c = new Case(drawn.wanted(), drawn.topK(), drawn.prunedNow(),
                drawn.settings().withQualityBudget(drawn.settings().qualityBudget() + 0.2));
        double[] shares = c.plan().shares();
        // pruned now: experts up to the restore threshold (so some above the cold one), cheapest
        // first, within the budget and the cap; nothing about them calls for a restore
        int cap = Math.min(c.settings().maxPrunedFor(experts), experts - c.topK());
        SortedSet<Integer> prunedNow = new TreeSet<>();
        double sum = 0;
        for (int e : IntStream.range(0, experts).boxed().sorted(Comparator.comparingDouble(i -> shares[i])).toList()) {
            if (shares[e] <= c.restoreLimit() && sum + shares[e] <= c.settings().qualityBudget() - 1e-9
                    && prunedNow.size() < cap) {
                prunedNow.add(e);
                sum += shares[e];
            }
        }
        Case hysteresis = c.withPrunedNow(prunedNow);
        Assume.that(hysteresis.judged());

        PruningPlan plan = hysteresis.plan();

        assertThat(plan.restored()).isEmpty();
        assertThat(plan.pruned()).containsAll(prunedNow);
        Statistics.label("an expert between the thresholds stays pruned")
                .collect(prunedNow.stream().anyMatch(e -> shares[e] >= c.coldLimit()))
                .coverage(k -> k.check(true).percentage(p -> p > 2));
    }

    @Property(tries = 300)
    void biggerBudgetPrunesASuperset(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed,
            @ForAll @IntRange(max = 100) int extraPermille) {
        Case c = Case.of(layers, experts, seed).withPrunedNow(new TreeSet<>());
        double bigger = Math.min(1, c.settings().qualityBudget() + extraPermille / 1000.0);

        PruningPlan small = c.plan();
        PruningPlan big = PruningPolicy.plan(c.wanted(), c.topK(), new TreeSet<>(),
                c.settings().withQualityBudget(bigger));

        assertThat(big.pruned()).containsAll(small.pruned());
    }

    @Property(tries = 300)
    void neverPrunesAnExpertAboveTheThreshold(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);

        PruningPlan plan = c.plan();

        for (int e : plan.added()) {
            assertThat(plan.shares()[e]).isLessThan(c.coldLimit());
        }
        if (c.judged()) {
            for (int e : plan.pruned()) {
                assertThat(plan.shares()[e]).isLessThanOrEqualTo(c.restoreLimit());
            }
        }
    }

    @Property(tries = 300)
    void accountsForEveryChange(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);

        PruningPlan plan = c.plan();

        SortedSet<Integer> expected = new TreeSet<>(c.prunedNow());
        expected.removeAll(plan.restored());
        expected.addAll(plan.added());
        assertThat(plan.pruned()).isEqualTo(expected);
        assertThat(c.prunedNow()).containsAll(plan.restored());
        assertThat(plan.added()).allMatch(e -> !c.prunedNow().contains(e));
        for (int e : plan.refusedByBudget()) {
            assertThat(plan.shares()[e]).isLessThan(c.coldLimit());
            assertThat(plan.pruned()).doesNotContain(e);
            assertThat(plan.reroutedShare() + plan.shares()[e]).isGreaterThan(c.settings().qualityBudget() - EPS);
        }
        assertThat(plan).isEqualTo(c.plan());
    }

    /** The generator must exercise every branch, or the properties above pass vacuously. */
    @Property(tries = 300)
    void casesCoverPruningRestoringAndRefusing(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        PruningPlan plan = Case.of(layers, experts, seed).plan();

        Statistics.label("prunes").collect(!plan.added().isEmpty())
                .coverage(k -> k.check(true).percentage(p -> p > 5));
        Statistics.label("restores").collect(!plan.restored().isEmpty())
                .coverage(k -> k.check(true).percentage(p -> p > 5));
        Statistics.label("refuses").collect(!plan.refusedByBudget().isEmpty())
                .coverage(k -> k.check(true).percentage(p -> p > 5));
    }

    @Property(tries = 200)
    void thinWindowChangesNothing(@ForAll @IntRange(min = 1, max = 3) int layers,
            @ForAll @IntRange(min = 2, max = 16) int experts, @ForAll long seed) {
        Case c = Case.of(layers, experts, seed);
        PruningSettings s = c.settings();
        Case thin = new Case(c.wanted(), c.topK(), c.prunedNow(), new PruningSettings(s.threshold(),
                s.qualityBudget(), s.maxPruned(), s.restoreFactor(), c.total() + 1));

        PruningPlan plan = thin.plan();

        assertThat(plan.pruned()).isEqualTo(c.prunedNow());
        assertThat(plan.changes()).isFalse();
        assertThat(plan.decision()).containsAnyOf("needed to judge", "no routed token-slots");
    }
}
