package io.moemesh.placement.leadership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubernetes.client.openapi.ApiClient;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.placement.PlacementLoop;
import io.moemesh.placement.round.EndpointView;
import io.moemesh.placement.round.ExpertPort;
import io.moemesh.placement.round.PlacementRound;
import io.moemesh.placement.round.PlacementSettings;
import io.moemesh.placement.round.RouterPort;
import io.moemesh.placement.round.Traffic;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The official client's LeaderElector and LeaseLock against a scripted API server (MockWebServer
 * with {@link LeaseEndpoint}): real HTTP, real JSON, real resource-version conflicts.
 */
class LeaseLeadershipTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void becomesLeaderByCreatingTheLeaseWhenThereIsNone() throws Exception {
        LeaseEndpoint lease = LeaseEndpoint.empty();
        LeaseLeadership a = leadership(serve(lease), "controller-a");

        await().atMost(PATIENCE).until(a::isLeader);

        // a try that outlasts the retry period is cancelled and made again, so look past repeated reads
        assertThat(lease.exchanges().getFirst()).isEqualTo("GET 404");
        assertThat(lease.exchanges().stream().filter(e -> !e.startsWith("GET")).findFirst())
                .hasValue("POST 201 controller-a");
        assertThat(lease.holder()).isEqualTo("controller-a");
        await().atMost(PATIENCE).until(() -> a.leader().orElse("").equals("controller-a"));
    }

    /**
     * The elector counts a Lease as expired {@code leaseDuration} after it last saw the Lease change
     * (as client-go does), not from the renewTime written in it; a Lease held by another replica is
     * therefore left alone for at least that long.
     */
    @Test
    void staysStandbyAndNeverWritesWhileAnotherReplicaHoldsTheLease() throws Exception {
        LeaseEndpoint lease = LeaseEndpoint.heldBy("controller-b");
        LeaseLeadership a = leadership(serve(lease), "controller-a");
        AtomicInteger rounds = new AtomicInteger();
        PlacementLoop loop = new PlacementLoop(countingRound(rounds), a, Duration.ZERO, Duration.ofSeconds(1),
                Clock.systemUTC());

        await().atMost(PATIENCE).until(() -> lease.exchanges().size() >= 3
                && a.leader().orElse("").equals("controller-b"));

        assertThat(a.isLeader()).isFalse();
        assertThat(loop.runOnce().decision()).isEqualTo("standby: controller-b leads");
        assertThat(rounds).hasValue(0);
        assertThat(lease.exchanges()).containsOnly("GET 200");
        assertThat(lease.holder()).isEqualTo("controller-b");
    }

    @Test
    void ofTwoControllerReplicasOnlyTheLeaderRunsRoundsAndWritesTheLease() throws Exception {
        LeaseEndpoint lease = LeaseEndpoint.empty();
        MockWebServer server = serve(lease);
        AtomicInteger roundsA = new AtomicInteger();
        AtomicInteger roundsB = new AtomicInteger();
        LeaseLeadership a = leadership(server, "controller-a");
        LeaseLeadership b = leadership(server, "controller-b");
        PlacementLoop loopA = loop(countingRound(roundsA), a);
        PlacementLoop loopB = loop(countingRound(roundsB), b);

        await().atMost(PATIENCE).until(() -> a.isLeader() || b.isLeader());
        LeaseLeadership leader = a.isLeader() ? a : b;
        LeaseLeadership standby = leader == a ? b : a;
        AtomicInteger leaderRounds = leader == a ? roundsA : roundsB;
        AtomicInteger standbyRounds = leader == a ? roundsB : roundsA;
        PlacementLoop standbyLoop = leader == a ? loopB : loopA;
        String leaderId = leader == a ? "controller-a" : "controller-b";

        await().atMost(PATIENCE).until(() -> leaderRounds.get() >= 3 && lease.acceptedWrites().size() >= 3
                && standby.leader().orElse("").equals(leaderId)
                && standbyLoop.state().latest().decision().equals("standby: " + leaderId + " leads"));

        assertThat(standby.isLeader()).isFalse();
        assertThat(leader.isLeader()).isTrue();
        assertThat(standbyRounds).hasValue(0);
        assertThat(standbyLoop.state().plansApplied()).isZero();
        assertThat(lease.acceptedWrites()).containsOnly(leaderId);
        assertThat(lease.holder()).isEqualTo(leaderId);
    }

    /** The 10 s lease would keep the standby waiting; it takes over at once because the leader gives it up. */
    @Test
    void aStoppedLeaderGivesTheLeaseUpAndTheStandbyTakesOver() throws Exception {
        LeaseEndpoint lease = LeaseEndpoint.empty();
        MockWebServer server = serve(lease);
        LeaseLeadership a = leadership(server, "controller-a");
        await().atMost(PATIENCE).until(a::isLeader);
        LeaseLeadership b = leadership(server, "controller-b");
        await().atMost(PATIENCE).until(() -> b.leader().orElse("").equals("controller-a"));

        a.stop();

        assertThat(a.isLeader()).isFalse();
        assertThat(lease.exchanges()).contains("PUT 200 null");
        await().atMost(Duration.ofSeconds(5)).until(b::isLeader);
        assertThat(lease.holder()).isEqualTo("controller-b");
    }

    @Test
    void aLeaderThatCannotRenewStandsDownWithinTheRenewDeadline() throws Exception {
        LeaseEndpoint lease = LeaseEndpoint.empty();
        LeaseLeadership a = leadership(serve(lease), "controller-a", Duration.ofSeconds(3), Duration.ofSeconds(2));
        AtomicInteger rounds = new AtomicInteger();
        PlacementLoop loop = new PlacementLoop(countingRound(rounds), a, Duration.ZERO, Duration.ofSeconds(1),
                Clock.systemUTC());
        await().atMost(PATIENCE).until(a::isLeader);

        lease.goDown();

        await().atMost(Duration.ofSeconds(3)).until(() -> !a.isLeader());
        assertThat(loop.runOnce().decision()).startsWith("standby: ");
        assertThat(rounds).hasValue(0);
    }

    private MockWebServer serve(LeaseEndpoint endpoint) throws IOException {
        MockWebServer server = new MockWebServer();
        server.setDispatcher(endpoint);
        server.start();
        toClose.add(server::shutdown);
        return server;
    }

    /** Durations long enough that a busy test machine does not lose a lease, short enough to elect fast. */
    private LeaseLeadership leadership(MockWebServer server, String identity) {
        return leadership(server, identity, Duration.ofSeconds(10), Duration.ofSeconds(5));
    }

    private LeaseLeadership leadership(MockWebServer server, String identity, Duration lease, Duration renew) {
        ApiClient client = new ApiClient().setBasePath(server.url("/").toString().replaceAll("/$", ""));
        LeaseLeadership leadership = new LeaseLeadership(client, new LeaderElectionProperties(true,
                LeaseEndpoint.NAME, LeaseEndpoint.NAMESPACE, identity, lease, renew, Duration.ofMillis(200)));
        leadership.start();
        toClose.add(leadership::stop);
        return leadership;
    }

    private PlacementLoop loop(PlacementRound round, Leadership leadership) {
        PlacementLoop loop = new PlacementLoop(round, leadership, Duration.ZERO, Duration.ofMillis(20),
                Clock.systemUTC());
        loop.start();
        toClose.add(loop::stop);
        return loop;
    }

    /** A round over one router that counts the rounds that read it; it finds nothing to place. */
    private static PlacementRound countingRound(AtomicInteger rounds) {
        RouterPort router = new RouterPort() {
            @Override
            public String name() {
                return "router:1";
            }

            @Override
            public Reading read() {
                rounds.incrementAndGet();
                return new Reading(RoutingStats.empty(2, 4, Instant.EPOCH, Instant.EPOCH), Traffic.NONE);
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
        return new PlacementRound(List.of(router), NO_EXPERTS, new PlacementSettings(1.25, 0, 1.25, 4, 0.05, 10,
                true), Clock.systemUTC());
    }

    private static final ExpertPort NO_EXPERTS = new ExpertPort() {
        @Override
        public EndpointView describe(String target) {
            throw new IllegalStateException("no endpoint " + target);
        }

        @Override
        public EndpointView setPartners(String target, java.util.SortedSet<io.moemesh.core.placement.Unit> p) {
            throw new IllegalStateException("no endpoint " + target);
        }

        @Override
        public EndpointView releaseRetired(String target) {
            throw new IllegalStateException("no endpoint " + target);
        }
    };
}
