package io.moemesh.placement.dashboard;

import static io.moemesh.placement.dashboard.FakeRouter.counters;
import static io.moemesh.placement.dashboard.FakeRouter.endpoint;
import static io.moemesh.placement.dashboard.FakeRouter.window;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.placement.PlacementLoop;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The feed turns the routers' snapshots into the dashboard's view: window, rates, failures. */
class DashboardFeedTest {

    private static final RoutingStatsSnapshot WINDOW = window(new long[] {30, 10, 20, 0}, new long[] {5, 5, 5, 45});
    private static final PlacementLoop.State NO_ROUND = new PlacementLoop.State(null, 0, null, null);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T04:00:00Z"));

    private DashboardFeed feed(int history, FakeRouter... routers) {
        return new DashboardFeed(List.of(routers), () -> NO_ROUND,
                new DashboardProperties(true, Duration.ofSeconds(2), Duration.ofSeconds(5), history, 5), clock);
    }

    @Test
    void ratesComeFromTheDifferenceOfTwoReadings() {
        FakeRouter router = new FakeRouter("router-a", counters(WINDOW, 1_000, 100, 0, 500, 400, 40_000,
                endpoint("expert-0", 100, 0, 0, 100, 0, 0, 0, 0)));
        DashboardFeed feed = feed(150, router);
        feed.pollOnce();
        assertThat(feed.view().summary().tokensPerSecond()).as("one reading has no rate").isNull();
        assertThat(feed.view().endpoints()).singleElement().satisfies(e -> assertThat(e.callsPerSecond()).isNull());

        clock.advance(Duration.ofSeconds(2));
        router.snapshot = counters(WINDOW, 1_400, 300, 20, 1_100, 800, 120_000,
                endpoint("expert-0", 300, 10, 4, 150, 100, 50, 0, 0));
        feed.pollOnce();

        DashboardView.Summary s = feed.view().summary();
        assertThat(s.tokensPerSecond()).isEqualTo(100.0); // 200 generated tokens in 2 s
        assertThat(s.degradedRate()).isEqualTo(0.05); // 20 of 400 forward tokens
        assertThat(s.callsPerToken()).isEqualTo(1.5); // 600 sends over 400 token layers
        assertThat(s.bytesPerToken()).isEqualTo(200.0); // 80,000 bytes over 400 token layers
        DashboardView.EndpointRow e = feed.view().endpoints().getFirst();
        assertThat(e.callsPerSecond()).isEqualTo(100.0);
        assertThat(e.errorRate()).isEqualTo(0.05);
        assertThat(e.refusedPerSecond()).isEqualTo(2.0);
        // bucket deltas 50 (<= 1 ms), 100 (<= 2 ms), 50 (<= 5 ms): the 100th call is halfway through
        // the second bucket, the 198th at 48/50 of the third
        assertThat(e.p50Millis()).isCloseTo(1.5, within(1e-9));
        assertThat(e.p99Millis()).isCloseTo(4.88, within(1e-9));
        assertThat(feed.view().history()).extracting(DashboardView.Point::tokensPerSecond).containsExactly(100.0);
    }

    @Test
    void routersFoundAtEachPollAreReadAndARouterThatIsGoneLeavesTheView() {
        FakeRouter a = new FakeRouter("10.0.0.7:50056", counters(WINDOW, 1_000, 100, 0, 500, 400, 0));
        FakeRouter b = new FakeRouter("10.0.0.8:50056", counters(WINDOW, 1_000, 100, 0, 500, 400, 0));
        java.util.concurrent.atomic.AtomicReference<List<io.moemesh.placement.round.RouterPort>> found =
                new java.util.concurrent.atomic.AtomicReference<>(List.of(a, b));
        DashboardFeed feed = new DashboardFeed(found::get, () -> NO_ROUND,
                new DashboardProperties(true, Duration.ofSeconds(2), Duration.ofSeconds(5), 150, 5), clock);
        feed.pollOnce();
        List<String> first = feed.view().routers().stream().map(DashboardView.Router::name).toList();

        found.set(List.of(b));
        clock.advance(Duration.ofSeconds(2));
        feed.pollOnce();

        assertThat(first).containsExactly("10.0.0.7:50056", "10.0.0.8:50056");
        assertThat(feed.view().routers()).extracting(DashboardView.Router::name).containsExactly("10.0.0.8:50056");
        assertThat(feed.routerCount()).isEqualTo(1);
    }

    @Test
    void aRouterWhoseCountersWentDownRestartedAndItsRatesStartAfresh() {
        FakeRouter router = new FakeRouter("router-a", counters(WINDOW, 1_000, 500, 10, 500, 400, 0,
                endpoint("expert-0", 900, 0, 0)));
        DashboardFeed feed = feed(150, router);
        feed.pollOnce();
        clock.advance(Duration.ofSeconds(2));
        router.snapshot = counters(WINDOW, 40, 10, 0, 20, 20, 0, endpoint("expert-0", 5, 0, 0));

        feed.pollOnce();

        assertThat(feed.view().summary().tokensPerSecond()).isNull();
        assertThat(feed.view().endpoints().getFirst().callsPerSecond()).isNull();

        clock.advance(Duration.ofSeconds(2));
        router.snapshot = counters(WINDOW, 140, 50, 0, 120, 100, 0, endpoint("expert-0", 25, 0, 0));
        feed.pollOnce();

        assertThat(feed.view().summary().tokensPerSecond()).isEqualTo(20.0);
        assertThat(feed.view().summary().degradedRate()).isZero();
        assertThat(feed.view().endpoints().getFirst().callsPerSecond()).isEqualTo(10.0);
    }

    @Test
    void aFailingRouterIsShownFailingAndTheOthersAreStillRead() {
        FakeRouter good = new FakeRouter("router-a", WINDOW);
        FakeRouter bad = new FakeRouter("router-b", WINDOW);
        bad.failure = new IllegalStateException("router router-b GetRoutingStats: UNAVAILABLE io exception");
        DashboardFeed feed = feed(150, good, bad);

        feed.pollOnce();

        DashboardView view = feed.view();
        assertThat(view.state()).isEqualTo("live");
        assertThat(view.routers()).extracting(DashboardView.Router::name, DashboardView.Router::ok)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("router-a", true),
                        org.assertj.core.groups.Tuple.tuple("router-b", false));
        assertThat(view.routers().get(1).error()).contains("UNAVAILABLE");
        assertThat(view.error()).startsWith("router-b: ");
        assertThat(view.layers().getFirst().experts()).containsExactly(30, 10, 20, 0); // router-a's alone

        bad.failure = null;
        feed.pollOnce();

        assertThat(feed.view().routers()).allMatch(DashboardView.Router::ok);
        assertThat(feed.view().layers().getFirst().experts()).containsExactly(60, 20, 40, 0);
        assertThat(bad.reads).isEqualTo(2);
    }

    @Test
    void withNoRouterReadTheStateIsError() {
        FakeRouter bad = new FakeRouter("router-a", WINDOW);
        bad.failure = new IllegalStateException("router router-a GetRoutingStats: DEADLINE_EXCEEDED");
        DashboardFeed feed = feed(150, bad);

        feed.pollOnce();

        assertThat(feed.view().state()).isEqualTo("error");
        assertThat(feed.view().error()).isEqualTo("no router could be read");
        assertThat(feed.view().updated()).isEqualTo(clock.instant().toEpochMilli());
    }

    @Test
    void theHeatmapIsTheRoutersWindowsSummedAndLiveOnlyWithTokens() {
        DashboardFeed empty = feed(150, new FakeRouter("router-a", window(new long[] {0, 0}, new long[] {0, 0})));
        empty.pollOnce();
        assertThat(empty.view().state()).isEqualTo("empty");

        DashboardFeed feed = feed(150, new FakeRouter("router-a", WINDOW),
                new FakeRouter("router-b", window(new long[] {1, 2, 3, 4}, new long[] {0, 0, 0, 8})));
        feed.pollOnce();

        DashboardView view = feed.view();
        assertThat(view.state()).isEqualTo("live");
        assertThat(view.model()).isEqualTo(new DashboardView.Model(2, 4, 1_000, 61_000));
        assertThat(view.layers().get(0).experts()).containsExactly(31, 12, 23, 4);
        assertThat(view.layers().get(1).experts()).containsExactly(5, 5, 5, 53);
        assertThat(view.layers().get(0).tokens()).isEqualTo(30 + 5);
        assertThat(view.layers().get(0).coactivation()).hasSize(16);
    }

    @Test
    void theTokensPerSecondHistoryKeepsTheLatestPoints() {
        FakeRouter router = new FakeRouter("router-a", counters(WINDOW, 0, 0, 0, 0, 0, 0));
        DashboardFeed feed = feed(3, router);
        feed.pollOnce();
        for (int i = 1; i <= 5; i++) {
            clock.advance(Duration.ofSeconds(1));
            router.snapshot = counters(WINDOW, 10L * i * i, 10L * i * i, 0, 0, 0, 0);
            feed.pollOnce();
        }

        // generated 10 i^2 after i seconds: 10 (2i - 1) tokens in second i
        assertThat(feed.view().history()).extracting(DashboardView.Point::tokensPerSecond)
                .containsExactly(50.0, 70.0, 90.0);
    }

    @Test
    void routersWithoutTheNewCountersShowNoRatesButTheirWindow() {
        DashboardFeed feed = feed(150, new FakeRouter("router-a", WINDOW));
        feed.pollOnce();
        clock.advance(Duration.ofSeconds(2));
        feed.pollOnce();

        assertThat(feed.view().summary().tokensPerSecond()).isZero();
        assertThat(feed.view().summary().degradedRate()).isNull();
        assertThat(feed.view().summary().callsPerToken()).isNull();
        assertThat(feed.view().endpoints()).isEmpty();
        assertThat(feed.view().state()).isEqualTo("live");
    }
}
