package io.moemesh.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ReplicaBudgetPropertiesTest {

    /** Random loads (some zero, some tied), targets 0..5, a random pruned set and process limit. */
    record Case(double[] load, int[] targets, SortedSet<Integer> pruned, int maxProcesses) {

        static Case of(int services, long seed) {
            Random r = new Random(seed);
            double[] load = new double[services];
            int[] targets = new int[services];
            SortedSet<Integer> pruned = new TreeSet<>();
            for (int s = 0; s < services; s++) {
                load[s] = r.nextInt(5) == 0 ? 0 : r.nextInt(4) == 0 ? 100 : r.nextInt(1000);
                targets[s] = r.nextInt(6);
                if (r.nextInt(5) == 0) {
                    pruned.add(s);
                }
            }
            return new Case(load, targets, pruned, r.nextInt(4 * services + 1));
        }

        int[] allocate() {
            return ReplicaBudget.allocate(load, targets, pruned, maxProcesses);
        }

        int unpruned() {
            return load.length - pruned.size();
        }

        /** Whether service s may still get a replica: unpruned, loaded and below its target. */
        boolean hasRoom(int s, int[] replicas) {
            return !pruned.contains(s) && load[s] > 0 && replicas[s] < Math.max(1, targets[s]);
        }
    }

    @Property(tries = 300)
    void keepsEveryServiceWithinItsBounds(@ForAll @IntRange(min = 1, max = 24) int services, @ForAll long seed) {
        Case c = Case.of(services, seed);

        int[] replicas = c.allocate();

        for (int s = 0; s < services; s++) {
            if (c.pruned().contains(s)) {
                assertThat(replicas[s]).as("pruned service %d", s).isZero();
            } else if (c.load()[s] == 0) {
                assertThat(replicas[s]).as("idle service %d", s).isEqualTo(1);
            } else {
                assertThat(replicas[s]).as("service %d", s).isBetween(1, Math.max(1, c.targets()[s]));
            }
        }
    }

    @Property(tries = 300)
    void staysWithinTheProcessLimitUnlessTheUnprunedServicesAloneExceedIt(
            @ForAll @IntRange(min = 1, max = 24) int services, @ForAll long seed) {
        Case c = Case.of(services, seed);

        int total = Arrays.stream(c.allocate()).sum();

        if (c.unpruned() > c.maxProcesses()) {
            assertThat(total).isEqualTo(c.unpruned());
        } else {
            assertThat(total).isLessThanOrEqualTo(c.maxProcesses());
        }
    }

    @Property(tries = 300)
    void leavesProcessesUnusedOnlyWhenNoServiceMayTakeOne(
            @ForAll @IntRange(min = 1, max = 24) int services, @ForAll long seed) {
        Case c = Case.of(services, seed);

        int[] replicas = c.allocate();

        if (Arrays.stream(replicas).sum() < c.maxProcesses()) {
            for (int s = 0; s < services; s++) {
                assertThat(c.hasRoom(s, replicas)).as("service %d could take one more", s).isFalse();
            }
        }
    }

    /**
     * Greedy order: every extra replica went to a service whose load per replica, before it got
     * that replica, was at least any other service's that could still take one now.
     */
    @Property(tries = 300)
    void everyExtraReplicaWentWhereTheLoadPerReplicaWasHighest(
            @ForAll @IntRange(min = 1, max = 24) int services, @ForAll long seed) {
        Case c = Case.of(services, seed);

        int[] r = c.allocate();

        for (int s = 0; s < services; s++) {
            for (int t = 0; t < services; t++) {
                if (r[s] > 1 && t != s && c.hasRoom(t, r)) {
                    // load[s] / (r[s] - 1) >= load[t] / r[t]
                    assertThat(c.load()[s] * r[t]).as("s=%d t=%d %s", s, t, Arrays.toString(r))
                            .isGreaterThanOrEqualTo(c.load()[t] * (r[s] - 1));
                }
            }
        }
    }

    @Property(tries = 300)
    void oneMoreProcessNeverTakesAReplicaAway(@ForAll @IntRange(min = 1, max = 24) int services, @ForAll long seed) {
        Case c = Case.of(services, seed);

        int[] fewer = c.allocate();
        int[] more = ReplicaBudget.allocate(c.load(), c.targets(), c.pruned(), c.maxProcesses() + 1);

        for (int s = 0; s < services; s++) {
            assertThat(more[s]).isGreaterThanOrEqualTo(fewer[s]);
        }
        assertThat(Arrays.stream(more).sum() - Arrays.stream(fewer).sum()).isBetween(0, 1);
    }
}
