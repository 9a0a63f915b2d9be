package io.moemesh.placement.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.placement.Unit;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.leadership.Leadership;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.FakeMesh;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The services table: what each service hosts, and what the last applied re-placement changed. */
class LastReplacementTest {

    private static final int LAYERS = 2;
    private static final int EXPERTS = 4;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T04:00:00Z"));
    private final FakeMesh mesh = new FakeMesh(LAYERS, EXPERTS, 1);
    private final PlacementLoop loop = new PlacementLoop(new PlacementRound(List.of(mesh), mesh,
            new PlacementSettings(1.25, 0, 2.0, 4, 0.05, 10, false), clock), Leadership.always("controller-a"),
            Duration.ofHours(1), Duration.ofHours(1), clock);
    private final FakeRouter router = new FakeRouter("router:1", null);
    private final DashboardFeed feed = new DashboardFeed(List.of(router), loop::state,
            new DashboardProperties(true, Duration.ofSeconds(2), Duration.ofSeconds(5), 150, 5), clock);

    private void pairs(int[]... hot) {
        mesh.stats = FakeMesh.stats(LAYERS, EXPERTS, 100, hot);
        router.snapshot = RoutingStatsCodec.encode(mesh.stats);
    }

    @Test
    void theLastAppliedReplacementShowsThroughLaterRoundsThatApplyNothing() {
        pairs(new int[] {0, 1}, new int[] {2, 3});
        assertThat(loop.runOnce().applied()).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(loop.runOnce().applied()).as("the same traffic: the placement is kept").isFalse();

        feed.pollOnce();

        DashboardView view = feed.view();
        assertThat(view.placement().decision()).startsWith("kept the live placement");
        assertThat(view.placement().plansApplied()).isEqualTo(1);
        assertThat(view.placement().lastChange().at()).isEqualTo(clock.instant().minusSeconds(30).toEpochMilli());
        assertThat(view.placement().lastChange().decision()).startsWith("applied: ");
        assertThat(view.placement().servicesFrom()).isEqualTo("round");
        assertThat(view.services()).hasSize(EXPERTS).allSatisfy(s -> {
            assertThat(s.base()).containsExactly(new Unit(0, s.service()), new Unit(1, s.service()));
            assertThat(s.added()).isEqualTo(s.partners()); // nobody had partners before
            assertThat(s.removed()).isEmpty();
            assertThat(s.endpoints()).containsExactly("expert-" + s.service() + "-r0:1");
        });
        assertThat(view.services()).anySatisfy(s -> assertThat(s.partners()).isNotEmpty());
        assertThat(view.placement().lastChange().servicesChanged())
                .isEqualTo((int) view.services().stream().filter(s -> !s.added().isEmpty()).count());
        assertThat(router.endpointCalls).as("the round's live placement is used: no extra router call").isZero();
    }

    @Test
    void aSecondReplacementShowsTheUnitsItRemoved() {
        pairs(new int[] {0, 1}, new int[] {2, 3});
        loop.runOnce();
        feed.pollOnce();
        List<DashboardView.ServiceRow> first = feed.view().services();
        pairs(new int[] {0, 2}, new int[] {1, 3});
        assertThat(loop.runOnce().applied()).isTrue();

        feed.pollOnce();

        List<DashboardView.ServiceRow> second = feed.view().services();
        for (int s = 0; s < EXPERTS; s++) {
            TreeSet<Unit> removed = new TreeSet<>(first.get(s).partners());
            removed.removeAll(second.get(s).partners());
            TreeSet<Unit> added = new TreeSet<>(second.get(s).partners());
            added.removeAll(first.get(s).partners());
            assertThat(second.get(s).removed()).containsExactlyElementsOf(removed);
            assertThat(second.get(s).added()).containsExactlyElementsOf(added);
        }
        assertThat(second).anySatisfy(s -> assertThat(s.removed()).isNotEmpty());
        assertThat(feed.view().placement().plansApplied()).isEqualTo(2);
    }

    @Test
    void beforeAnyRoundTheServicesComeFromTheRoutersEndpoints() {
        pairs(new int[] {0, 1});
        TreeSet<Unit> base = new TreeSet<>(List.of(new Unit(0, 2), new Unit(1, 2)));
        router.endpoints = List.of(new EndpointView("expert-2:50051", OptionalInt.of(2), base,
                new TreeSet<>(List.of(new Unit(0, 3))), new TreeSet<>(), 64));

        feed.pollOnce();

        DashboardView view = feed.view();
        assertThat(view.placement().decision()).isEqualTo("no planning round yet");
        assertThat(view.placement().lastChange()).isNull();
        assertThat(view.placement().servicesFrom()).isEqualTo("routers");
        assertThat(view.services().get(2).endpoints()).containsExactly("expert-2:50051");
        assertThat(view.services().get(2).base()).containsExactlyElementsOf(base);
        assertThat(view.services().get(2).partners()).containsExactly(new Unit(0, 3));
        assertThat(view.services().get(2).added()).isEmpty();
    }
}
