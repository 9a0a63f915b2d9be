package io.moemesh.placement.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.placement.round.FakeMesh;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementReport;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.RouterSource;
import io.moemesh.placement.round.Traffic;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A planning round in kubernetes mode: the plan goes to the Deployments, nothing is changed in place. */
class KubernetesModeRoundTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T01:00:00Z"), ZoneOffset.UTC);

    private final FakeMesh mesh = new FakeMesh(2, 4, 1);
    private final FakeCluster cluster = new FakeCluster(4);

    private PlacementRound round(boolean dryRun) {
        return new PlacementRound(List.of(mesh), mesh, new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, dryRun), CLOCK,
                new KubernetesApplier(new PlacementReconciler(cluster)));
    }

    @Test
    void aPlanIsWrittenToTheExpertDeploymentsAndNoEndpointIsTouched() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});

        PlacementReport report = round(false).run();

        assertThat(report.applied()).as(report.decision()).isTrue();
        assertThat(report.decision()).startsWith("applied through Kubernetes:").contains("partner-units");
        assertThat(cluster.workloads.values()).anySatisfy(w -> assertThat(w.partners()).isNotEmpty());
        assertThat(cluster.events).isNotEmpty();
        assertThat(mesh.log).as("no SetPartnerUnits, refresh or release in kubernetes mode").isEmpty();
    }

    @Test
    void whileThePodsRollTheSamePlanWritesNothingAndCountsAsNoNewPlan() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});
        PlacementRound round = round(false);
        round.run();
        cluster.writes.clear();

        PlacementReport again = round.run(); // the endpoints still host the old units: rollout in progress

        assertThat(again.applied()).isFalse();
        assertThat(again.decision()).startsWith("the cluster already asks for this plan; rollout in progress");
        assertThat(again.outcome()).isEqualTo(Outcome.KEPT);
        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void aDryRunListsTheChangesItWouldMake() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});

        PlacementReport report = round(true).run();

        assertThat(report.decision()).startsWith("dry run: would apply a plan").contains("partner-units: (none) ->");
        assertThat(report.outcome()).isEqualTo(Outcome.DRY_RUN);
        assertThat(cluster.writes).isEmpty();
        assertThat(cluster.workloads.values()).allSatisfy(w -> assertThat(w.partners()).isEmpty());
    }

    @Test
    void everyRoundHoldsTheOperatorsFloorsEvenWithoutAPlan() {
        cluster.bounds("moe-mesh-expert-3", 2, 4);
        mesh.stats = FakeMesh.stats(2, 4, 0, new int[] {0, 1}, new int[] {2, 3}); // no traffic: nothing to plan

        round(false).run();

        assertThat(cluster.workloads.get("moe-mesh-expert-3").minReplicas()).isEqualTo(2);
    }

    @Test
    void aDryRunRoundLeavesEvenABrokenFloorAlone() {
        cluster.bounds("moe-mesh-expert-3", 2, 4);
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});

        round(true).run();

        assertThat(cluster.writes).isEmpty();
    }

    @Test
    void aRoundWhileExpertsStillRollWritesNoPartnerUnitsAndSaysWhy() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});
        for (int e = 0; e < 4; e++) {
            cluster.rolling("moe-mesh-expert-" + e);
        }
        ManualClock gateClock = new ManualClock();
        PlacementRound round = new PlacementRound(List.of(mesh), mesh, new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10,
                false), CLOCK, new KubernetesApplier(new PlacementReconciler(cluster, new RolloutGate(cluster,
                        new RolloutGate.Settings(Duration.ofSeconds(10), Duration.ofSeconds(5)), gateClock,
                        gateClock::advance))));

        PlacementReport report = round.run();

        assertThat(report.decision()).contains("rollout-wait: rolling -> rollout of moe-mesh-expert-0 not available",
                "held back:");
        assertThat(cluster.writes).noneMatch(w -> w.contains("partners"));
    }

    /** Another router pod of the same mesh: the same endpoints, its own share of the traffic. */
    private RouterPort secondRouter(RoutingStats stats) {
        return new RouterPort() {
            @Override
            public String name() {
                return "10.0.0.8:50056";
            }

            @Override
            public Reading read() {
                return new Reading(stats, Traffic.NONE);
            }

            @Override
            public List<EndpointView> endpoints() {
                return mesh.endpoints();
            }

            @Override
            public List<EndpointView> refresh() {
                throw new AssertionError("kubernetes mode refreshes no router");
            }
        };
    }

    private RouterPort silentRouter() {
        return new RouterPort() {
            @Override
            public String name() {
                return "10.0.0.9:50056";
            }

            @Override
            public Reading read() {
                throw new IllegalStateException("router 10.0.0.9:50056 GetRoutingStats: UNAVAILABLE connection refused");
            }

            @Override
            public List<EndpointView> endpoints() {
                throw new AssertionError("not asked after a failed read");
            }

            @Override
            public List<EndpointView> refresh() {
                throw new AssertionError("kubernetes mode refreshes no router");
            }
        };
    }

    private PlacementRound round(RouterSource routers) {
        return new PlacementRound(routers, mesh, new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), CLOCK,
                new KubernetesApplier(new PlacementReconciler(cluster)));
    }

    @Test
    void everyRouterFoundIsReadAndThePlanComesFromTheSumOfTheirWindows() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});
        RoutingStats other = FakeMesh.stats(2, 4, 50, new int[] {0, 1});

        PlacementReport report = round(RouterSource.fixed(List.of(mesh, secondRouter(other)))).run();

        assertThat(report.stats().tokens()[0]).isEqualTo(mesh.stats.tokens()[0] + other.tokens()[0]);
        assertThat(report.stats().coactivation()[1][1]).isEqualTo(100 + 50); // pair (0, 1) from both routers
        assertThat(report.decision()).doesNotContain("not read");
    }

    @Test
    void aRouterThatDoesNotAnswerIsNamedInTheDecisionAndTheOthersAreStillPlannedFrom() {
        mesh.stats = FakeMesh.stats(2, 4, 100, new int[] {0, 1}, new int[] {2, 3});

        PlacementReport report = round(RouterSource.fixed(List.of(mesh, silentRouter()))).run();

        assertThat(report.decision()).startsWith("planned from 1 of 2 routers (not read: router 10.0.0.9:50056 "
                + "GetRoutingStats: UNAVAILABLE connection refused); ")
                .contains("applied through Kubernetes:");
        assertThat(report.outcome()).as("the note keeps the outcome").isEqualTo(Outcome.APPLIED);
        assertThat(report.applied()).isTrue();
    }

    @Test
    void aNameThatFindsNoRouterStopsTheRoundNamingIt() {
        RouterSource none = () -> new RouterSource.Routers(List.of(),
                List.of("no router found at dns:///moe-router-headless:50056: it does not resolve"));

        PlacementReport report = round(none).run();

        assertThat(report.decision()).isEqualTo("could not read the routers: no router found at "
                + "dns:///moe-router-headless:50056: it does not resolve");
        assertThat(report.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(cluster.writes).isEmpty();
    }
}
