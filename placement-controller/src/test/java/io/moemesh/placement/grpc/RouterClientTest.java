package io.moemesh.placement.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.codec.RoutingStatsCodec;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The controller reads a router's statistics and refuses, naming the router, what a peer got wrong. */
class RouterClientTest {

    private final AtomicReference<RoutingStatsSnapshot> served = new AtomicReference<>();
    private Server server;
    private ManagedChannel channel;
    private RouterClient client;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor().addService(new RoutingStatsGrpc.RoutingStatsImplBase() {
            @Override
            public void getRoutingStats(GetRoutingStatsRequest request, StreamObserver<RoutingStatsSnapshot> out) {
                out.onNext(served.get());
                out.onCompleted();
            }
        }).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        client = new RouterClient("router-0:50056", channel, Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void readsAWellFormedSnapshot() {
        RoutingStats stats = RoutingStats.empty(2, 4, Instant.EPOCH, Instant.EPOCH.plusSeconds(60));
        stats.tokens()[1] = 7;
        served.set(RoutingStatsCodec.encode(stats).toBuilder()
                .setTraffic(DispatchTraffic.newBuilder().setTokenSends(3).setTokenLayers(2).setBytesSent(10).setBytesReceived(5))
                .build());

        var reading = client.read();

        assertThat(reading.stats().tokens()).containsExactly(0, 7);
        assertThat(reading.traffic().bytes()).isEqualTo(15);
    }

    @Test
    void anOutOfBoundsSnapshotIsRefusedNamingTheRouter() {
        served.set(RoutingStatsCodec.encode(RoutingStats.empty(1, 2, Instant.EPOCH, Instant.EPOCH)).toBuilder()
                .setNumExperts(100_000).build());

        assertThatThrownBy(client::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("router router-0:50056 sent statistics the controller refuses")
                .hasMessageContaining("100000 experts");
    }

    @Test
    void negativeOrOverflowingTrafficCountersAreRefused() {
        RoutingStatsSnapshot base = RoutingStatsCodec.encode(RoutingStats.empty(1, 2, Instant.EPOCH, Instant.EPOCH));

        served.set(base.toBuilder().setTraffic(DispatchTraffic.newBuilder().setTokenSends(-1)).build());
        assertThatThrownBy(client::read).hasMessageContaining("dispatch counters must not be negative");
        served.set(base.toBuilder().setTraffic(DispatchTraffic.newBuilder().setBytesSent(Long.MAX_VALUE).setBytesReceived(1))
                .build());
        assertThatThrownBy(client::read).hasMessageContaining("overflow");
    }
}
