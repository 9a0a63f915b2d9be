package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.Unit;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.placement.round.Outcome;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.Traffic;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import org.junit.jupiter.api.Test;

class PlacementLoopTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T01:00:00Z"), ZoneOffset.UTC);

    /** A router serving a model of {@code layers} layers: two of different models make the round throw. */
    private static RouterPort router(String name, int layers) {
        return new RouterPort() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Reading read() {
                return new Reading(RoutingStats.empty(layers, 4, Instant.EPOCH, Instant.EPOCH), Traffic.NONE);
            }

            @Override
            public List<EndpointView> endpoints() {
                return List.of();
            }

            @Override
            public List<EndpointView> refresh() {
                return List.of();
            }
        };
    }

    private static final ExpertPort NO_EXPERTS = new ExpertPort() {
        @Override
        public EndpointView describe(String target) {
            throw new IllegalStateException("no endpoint " + target);
        }

        @Override
        public EndpointView setPartners(String target, SortedSet<Unit> partners) {
            throw new IllegalStateException("no endpoint " + target);
        }

        @Override
        public EndpointView releaseRetired(String target) {
            throw new IllegalStateException("no endpoint " + target);
        }
    };

    @Test
    void aRoundThatThrowsStillLeavesAReportAndCountsNoPlan() {
        Clock broken = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw new IllegalStateException("the round's clock broke");
            }
        };
        PlacementRound round = new PlacementRound(List.of(router("a:1", 2)), NO_EXPERTS,
                new PlacementSettings(1.25, 0, 1.25, 4, 0.05, 10, false), broken);
        PlacementLoop loop = new PlacementLoop(round, Leadership.always("me"), Duration.ZERO, Duration.ofSeconds(1),
                CLOCK);

        loop.runOnce();

        PlacementLoop.State state = loop.state();
        assertThat(state.latest()).isNotNull();
        assertThat(state.latest().decision()).startsWith("round failed").contains("the round's clock broke");
        assertThat(state.latest().outcome()).isEqualTo(Outcome.FAILED);
        assertThat(state.latest().at()).isEqualTo(CLOCK.instant());
        assertThat(state.plansApplied()).isZero();
    }

    @Test
    void routersOfDifferentModelsAreRefusedWithTheReasonInsteadOfFailingTheRound() {
        PlacementRound round = new PlacementRound(List.of(router("a:1", 2), router("b:1", 3)), NO_EXPERTS,
                new PlacementSettings(1.25, 0, 1.25, 4, 0.05, 10, false), CLOCK);
        PlacementLoop loop = new PlacementLoop(round, Leadership.always("me"), Duration.ZERO, Duration.ofSeconds(1),
                CLOCK);

        loop.runOnce();

        assertThat(loop.state().latest().decision()).startsWith("refused the routers' statistics")
                .contains("routers serve different models");
        assertThat(loop.state().latest().outcome()).isEqualTo(Outcome.FAILED);
        assertThat(loop.state().plansApplied()).isZero();
    }

    @Test
    void aStandbyRunsNoRoundAndSaysWhoLeads() {
        Leadership standby = new Leadership() {
            @Override
            public boolean isLeader() {
                return false;
            }

            @Override
            public Optional<String> leader() {
                return Optional.of("controller-b");
            }
        };
        RouterPort unreachable = new RouterPort() {
            @Override
            public String name() {
                return "r:1";
            }

            @Override
            public Reading read() {
                throw new AssertionError("a standby read the router");
            }

            @Override
            public List<EndpointView> endpoints() {
                throw new AssertionError("a standby read the router");
            }

            @Override
            public List<EndpointView> refresh() {
                throw new AssertionError("a standby refreshed the router");
            }
        };
        PlacementLoop loop = new PlacementLoop(new PlacementRound(List.of(unreachable), NO_EXPERTS,
                new PlacementSettings(1.25, 0, 1.25, 4, 0.05, 10, false), CLOCK), standby, Duration.ZERO,
                Duration.ofSeconds(1), CLOCK);

        loop.runOnce();

        assertThat(loop.state().latest().decision()).isEqualTo("standby: controller-b leads");
        assertThat(loop.state().latest().outcome()).isEqualTo(Outcome.STANDBY);
        assertThat(loop.state().latest().at()).isEqualTo(CLOCK.instant());
        assertThat(loop.state().plansApplied()).isZero();
    }
}
