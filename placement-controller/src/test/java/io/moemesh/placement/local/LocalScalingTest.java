package io.moemesh.placement.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PruningSettings;
import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class LocalScalingTest {

    private static final int LAYERS = 2;
    private static final int EXPERTS = 8;
    private static final RoutingStats COLD_7 = LocalMesh.stats(LAYERS, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 10);
    private static final RoutingStats UNIFORM = LocalMesh.stats(LAYERS, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);
    private static final RoutingStats HOT_0 = LocalMesh.stats(LAYERS, 8000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);

    private final LocalMesh mesh = new LocalMesh(LAYERS, EXPERTS);

    private LocalScaling scaling(boolean pruning, int maxProcesses) {
        PruningSettings settings = new PruningSettings(0.25, 0.05, PruningSettings.QUARTER_OF_EXPERTS, 2, 10);
        return new LocalScaling(List.of(mesh), mesh, mesh, mesh, new LocalScaling.Settings(pruning, settings,
                maxProcesses, Duration.ofMillis(100), Duration.ofMillis(5)));
    }

    private static PlacementPlan replicaTargets(int... targets) {
        List<SortedSet<Unit>> hosted = new ArrayList<>();
        List<Integer> replicas = new ArrayList<>();
        for (int s = 0; s < targets.length; s++) {
            hosted.add(new TreeSet<>(List.of(new Unit(0, s), new Unit(1, s))));
            replicas.add(targets[s]);
        }
        return new PlacementPlan(hosted, replicas);
    }

    private String target(int expert) {
        return mesh.processesOf(expert).getFirst().target();
    }

    private String name(int expert) {
        return mesh.processesOf(expert).getFirst().name();
    }

    @Test
    void prunesAColdExpertTheRouterFirstThenUnlistsAndStopsItsProcess() {
        String target = target(7);
        String name = name(7);

        LocalReport report = scaling(true, 0).apply(COLD_7, null, false);

        assertThat(report.pruned()).containsExactly(7);
        assertThat(mesh.pruned).containsExactly(new Unit(0, 7), new Unit(1, 7));
        assertThat(mesh.log).containsExactly("prune [7]", "unlist " + target, "stop " + name);
        assertThat(mesh.violations).isEmpty();
        assertThat(mesh.processesOf(7)).isEmpty();
        assertThat(report.replicas()[7]).isZero();
        assertThat(report.targets()[7]).isZero();
        assertThat(report.reroutedShare()).isCloseTo(20.0 / 14020, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(report.pruningDecision()).isNotBlank();
    }

    @Test
    void restoresAnExpertWhoseShareRoseWithItsProcessServingAndListedBeforeTheSetShrinks() {
        LocalScaling scaling = scaling(true, 0);
        scaling.apply(COLD_7, null, false);
        mesh.log.clear();

        LocalReport report = scaling.apply(UNIFORM, null, false);

        assertThat(report.pruned()).isEmpty();
        assertThat(mesh.pruned).isEmpty();
        assertThat(mesh.processesOf(7)).hasSize(1);
        String started = name(7);
        assertThat(mesh.log).containsExactly("start " + started, "list " + target(7), "prune []");
        assertThat(mesh.violations).isEmpty();
        assertThat(report.replicas()[7]).isEqualTo(1);
    }

    @Test
    void keepsAnExpertPrunedWhileItsNewProcessDoesNotServe() {
        LocalScaling scaling = scaling(true, 0);
        scaling.apply(COLD_7, null, false);
        mesh.neverServes.add(7);
        int listed = mesh.file.size();

        LocalReport report = scaling.apply(UNIFORM, null, false);

        assertThat(report.pruned()).containsExactly(7);
        assertThat(report.decision()).contains("could not restore expert 7", "did not report SERVING");
        assertThat(mesh.pruned).containsExactly(new Unit(0, 7), new Unit(1, 7));
        assertThat(mesh.file).hasSize(listed);
        assertThat(mesh.processesOf(7)).isEmpty();
    }

    @Test
    void addsReplicasToTheHottestServiceWithinTheProcessBudgetWithItsPartners() {
        SortedSet<Unit> partners = new TreeSet<>(List.of(new Unit(0, 3)));
        mesh.setPartners(target(0), partners);
        mesh.log.clear();

        LocalReport report = scaling(false, 10).apply(HOT_0, replicaTargets(3, 1, 1, 1, 1, 1, 1, 1), false);

        assertThat(mesh.processesOf(0)).hasSize(3);
        assertThat(mesh.pidFiles).hasSize(10);
        assertThat(report.replicas()).containsExactly(3, 1, 1, 1, 1, 1, 1, 1);
        assertThat(report.expertProcesses()).isEqualTo(10);
        for (var p : mesh.processesOf(0).subList(1, 3)) {
            int start = mesh.log.indexOf("start " + p.name());
            assertThat(mesh.log.indexOf("partners " + p.target() + " " + partners)).isGreaterThan(start);
            assertThat(mesh.log.indexOf("list " + p.target()))
                    .isGreaterThan(mesh.log.indexOf("partners " + p.target() + " " + partners));
            assertThat(mesh.routerView).contains(p.target());
        }
    }

    @Test
    void removesReplicasWhenLoadDropsUnlistingBeforeStopping() {
        LocalScaling scaling = scaling(false, 10);
        scaling.apply(HOT_0, replicaTargets(3, 1, 1, 1, 1, 1, 1, 1), false);
        List<ExpertPidFile> replicas = mesh.processesOf(0).subList(1, 3);
        mesh.log.clear();

        LocalReport report = scaling.apply(UNIFORM, replicaTargets(1, 1, 1, 1, 1, 1, 1, 1), false);

        assertThat(mesh.processesOf(0)).hasSize(1);
        assertThat(report.replicas()[0]).isEqualTo(1);
        for (ExpertPidFile p : replicas) {
            assertThat(mesh.log.indexOf("unlist " + p.target())).isNotNegative()
                    .isLessThan(mesh.log.indexOf("stop " + p.name()));
        }
        assertThat(mesh.violations).isEmpty();
    }

    @Test
    void neverStopsTheLastProcessOfAnUnprunedService() {
        LocalReport report = scaling(false, 4).apply(HOT_0, replicaTargets(1, 1, 1, 1, 1, 1, 1, 1), false);

        assertThat(mesh.pidFiles).hasSize(EXPERTS);
        assertThat(report.targets()).containsOnly(1);
        assertThat(mesh.log).isEmpty();
    }

    @Test
    void aDryRunPlansButChangesNothing() {
        LocalReport report = scaling(true, 10).apply(COLD_7, replicaTargets(3, 1, 1, 1, 1, 1, 1, 1), true);

        assertThat(report.decision()).startsWith("dry run: would set the pruned experts [] -> [7]")
                .contains("expert 7 1 -> 0 processes");
        assertThat(mesh.log).isEmpty();
        assertThat(mesh.pidFiles).hasSize(EXPERTS);
        assertThat(mesh.pruned).isEmpty();
    }

    @Test
    void aReplicaThatNeverServesLeavesNoPidFileAndNoEndpoint() {
        mesh.neverServes.add(0);
        List<String> listed = List.copyOf(mesh.file);

        LocalReport report = scaling(false, 10).apply(HOT_0, replicaTargets(3, 1, 1, 1, 1, 1, 1, 1), false);

        assertThat(report.decision()).contains("could not start a replica of expert 0");
        assertThat(mesh.file).isEqualTo(listed);
        assertThat(mesh.pidFiles).hasSize(EXPERTS);
    }

    @Test
    void aRouterThatStillListsAnEndpointKeepsItsProcessUntilALaterRound() {
        LocalScaling scaling = scaling(true, 0);
        mesh.routerFollows = false;
        String name = name(7);

        LocalReport report = scaling.apply(COLD_7, null, false);

        assertThat(report.decision()).contains("a router still lists " + target(7));
        assertThat(mesh.log).doesNotContain("stop " + name);
        assertThat(mesh.processesOf(7)).hasSize(1);

        mesh.routerFollows = true;
        scaling.apply(COLD_7, null, false);

        assertThat(mesh.log).contains("stop " + name);
        assertThat(mesh.processesOf(7)).isEmpty();
        assertThat(mesh.violations).isEmpty();
    }

    @Test
    void aRouterThatRefusesThePrunedSetStopsNoProcess() {
        mesh.failSetPruned = true;

        LocalReport report = scaling(true, 0).apply(COLD_7, null, false);

        assertThat(report.pruned()).isEmpty();
        assertThat(report.decision()).contains("did not take the pruned set [7]", "no process stopped");
        assertThat(mesh.processesOf(7)).hasSize(1);
        assertThat(mesh.file).contains(target(7));
    }

    @Test
    void refusesToPruneAnExpertWhoseProcessIsTheLastHostOfAPartnerUnit() {
        // expert 3's own process is gone (not pruned): expert 7's process is the only host of (0, 3)
        ExpertPidFile three = mesh.processesOf(3).getFirst();
        mesh.file.remove(three.target());
        mesh.stop(three);
        mesh.setPartners(target(7), new TreeSet<>(List.of(new Unit(0, 3))));
        mesh.log.clear();

        LocalReport report = scaling(true, 0).apply(COLD_7, null, false);

        assertThat(report.pruned()).isEmpty();
        assertThat(report.pruningDecision()).contains("expert 7 not pruned", "partner unit (layer 0, expert 3)");
        assertThat(mesh.processesOf(7)).hasSize(1);
        assertThat(mesh.pruned).isEmpty();
    }

    @Test
    void pruningTurnedOffRestoresWhatThePreviousSettingsPruned() {
        scaling(true, 0).apply(COLD_7, null, false);

        LocalReport report = scaling(false, 0).apply(COLD_7, null, false);

        assertThat(report.pruned()).isEmpty();
        assertThat(mesh.pruned).isEmpty();
        assertThat(mesh.processesOf(7)).hasSize(1);
        assertThat(mesh.violations).isEmpty();
    }

    @Test
    void aProcessThatDiedIsTakenOffTheEndpointsFileAndItsServiceGetsANewOneWithinTheBudget() {
        ExpertPidFile dead = mesh.processesOf(4).getFirst();
        mesh.crash(dead);

        LocalReport report = scaling(false, 8).apply(UNIFORM, replicaTargets(1, 1, 1, 1, 1, 1, 1, 1), false);

        assertThat(report.decision()).contains("expert process " + dead.name() + " (expert 4) is gone; took "
                + dead.target() + " off the endpoints file");
        assertThat(mesh.file).doesNotContain(dead.target());
        assertThat(mesh.processesOf(4)).hasSize(1);
        assertThat(mesh.file).contains(target(4));
    }

    @Test
    void aDryRunDoesNotReapDeadProcesses() {
        ExpertPidFile dead = mesh.processesOf(4).getFirst();
        mesh.crash(dead);

        scaling(false, 8).apply(UNIFORM, replicaTargets(1, 1, 1, 1, 1, 1, 1, 1), true);

        assertThat(mesh.file).contains(dead.target());
        assertThat(mesh.crashed).containsExactly(dead);
    }
}
