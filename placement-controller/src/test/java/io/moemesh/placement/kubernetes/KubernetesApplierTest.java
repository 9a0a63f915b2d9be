package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.Unit;
import io.moemesh.placement.round.LivePlacement;
import io.moemesh.placement.round.MeshState;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlanApplier;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** What applying through the cluster reports, by the reconciler's changes. */
class KubernetesApplierTest {

    private static final MeshState NO_ROUTERS = new MeshState(List.of(), List.of(), List.of());

    private final FakeCluster cluster = new FakeCluster(3);
    private final ManualClock clock = new ManualClock();
    private final KubernetesApplier applier = new KubernetesApplier(new PlacementReconciler(cluster,
            new RolloutGate(cluster, new RolloutGate.Settings(Duration.ofMinutes(2), Duration.ofSeconds(5)), clock,
                    clock::advance)));
    private final LivePlacement live = LivePlacement.of(List.of(), 2, 3); // every service its own expert

    /** Every service also hosts the next expert's layer-1 unit: three partner writes, no replica change. */
    private static PlacementPlan plan() {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s), new Unit(1, (s + 1) % 3))));
        }
        return new PlacementPlan(hosted, List.of(1, 1, 1));
    }

    @Test
    void aWrittenPlanIsAppliedAndTheCandidateIsWhatTheServicesAreAskedToHost() {
        PlanApplier.Applied applied = applier.apply(plan(), NO_ROUTERS, null, live, "gain");

        assertThat(applied.outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(applied.decision()).startsWith("applied through Kubernetes: 3 changes (").contains("; gain; ");
        assertThat(applied.replacement().before()).isEqualTo(live.plan());
        assertThat(applied.replacement().after()).isEqualTo(plan());
        assertThat(applied.live()).as("nothing changes in place").isSameAs(live);
    }

    @Test
    void aRoundThatOnlyWaitsForARolloutWritesNothingAndWaits() {
        cluster.rolling("moe-mesh-expert-2");

        PlanApplier.Applied applied = applier.apply(plan(), NO_ROUTERS, null, live, "gain");

        assertThat(cluster.writes).isEmpty();
        assertThat(applied.outcome()).isEqualTo(Outcome.WAITING);
        assertThat(applied.decision()).startsWith("waiting for a rollout before applying a plan: 1 changes");
        assertThat(applied.replacement()).isNull();
    }

    @Test
    void aPlanTheClusterAlreadyAsksForIsKept() {
        applier.apply(plan(), NO_ROUTERS, null, live, "gain");

        PlanApplier.Applied again = applier.apply(plan(), NO_ROUTERS, null, live, "gain");

        assertThat(again.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(again.decision()).isEqualTo("the cluster already asks for this plan; rollout in progress (gain)");
    }
}
