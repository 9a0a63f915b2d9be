package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.placement.health.LoopProgress;
import io.moemesh.service.ProgressWatchdog;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A paced rollout may wait up to the rollout timeout for each of several Deployments in one round:
 * its reads of the rolling Deployment are progress, so the watchdog does not take it for a stuck round.
 */
class RolloutProgressTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofSeconds(5);
    /** Each Deployment becomes available after 8 minutes: within the timeout, so nothing is held back. */
    private static final int POLLS_TO_AVAILABLE = 96;
    private static final Duration LIMIT = LoopProgress.stallLimit(Duration.ofSeconds(30), Duration.ofSeconds(30),
            TIMEOUT);

    private final FakeCluster cluster = new FakeCluster(3);
    private final ManualClock clock = new ManualClock();
    private final LoopProgress progress = new LoopProgress(clock);
    private final List<Boolean> health = new ArrayList<>();
    private final ProgressWatchdog watchdog = new ProgressWatchdog("placement controller", () -> progress.health(LIMIT), health::add);
    private int polls;

    /** Every service also hosts the next expert's layer-1 unit: three partner writes, two rollout waits. */
    private static PlacementPlan plan() {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s), new Unit(1, (s + 1) % 3))));
        }
        return new PlacementPlan(hosted, List.of(1, 1, 1));
    }

    /** A round's reconcile: the watchdog checks at every pause, and each rolling Deployment finishes in time. */
    private List<Change> reconcile(UnaryOperator<RolloutGate> gate) {
        cluster.stuck.addAll(List.of("moe-mesh-expert-0", "moe-mesh-expert-1", "moe-mesh-expert-2"));
        RolloutGate waiting = new RolloutGate(cluster, new RolloutGate.Settings(TIMEOUT, POLL), clock, pause -> {
            clock.advance(pause);
            watchdog.check();
            if (++polls % POLLS_TO_AVAILABLE == 0) {
                cluster.finish(cluster.stuck.getFirst());
            }
        });
        return new PlacementReconciler(cluster, gate.apply(waiting), new SimpleMeterRegistry())
                .reconcile(plan(), false);
    }

    @Test
    void aLongPacedRolloutThatReportsItsStepsKeepsHealthServing() {
        List<Change> changes = reconcile(gate -> gate.reportingSteps(progress::progressed));

        assertThat(changes).hasSize(3).allMatch(c -> c.kind() == Change.Kind.PARTNER_UNITS);
        assertThat(POLL.multipliedBy(polls)).as("the round waited longer than the stall limit").isGreaterThan(LIMIT);
        assertThat(health).isEmpty();
    }

    @Test
    void theSameWaitWithoutItsStepsWouldReadAsStuck() {
        reconcile(UnaryOperator.identity());

        assertThat(health).containsExactly(false);
    }
}
