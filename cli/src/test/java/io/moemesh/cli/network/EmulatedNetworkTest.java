package io.moemesh.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real sockets through the proxy to echo and sink servers. Delays are asserted as lower bounds
 * only: the emulation may deliver late on a busy machine (its report says how late), never early by
 * more than its learned wake-up lead, which tests here keep far below the asserted delays.
 */
class EmulatedNetworkTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final TestServers servers = new TestServers();
    private EmulatedNetwork network;

    @AfterEach
    void stop() {
        if (network != null) {
            network.close();
        }
        servers.close();
    }

    private EmulatedNetwork start(NetworkProfile profile, int... targetPorts) {
        List<EmulatedNetwork.Route> routes = java.util.Arrays.stream(targetPorts)
                .mapToObj(p -> new EmulatedNetwork.Route(0, new InetSocketAddress(LOOPBACK, p))).toList();
        network = new EmulatedNetwork(routes, LOOPBACK, profile,
                RandomGeneratorFactory.of("L64X128MixRandom").create(7)).start();
        return network;
    }

    private Socket connect(int route) throws IOException {
        Socket s = new Socket(LOOPBACK, network.ports().get(route));
        s.setTcpNoDelay(true);
        s.setSoTimeout(20_000);
        return s;
    }

    @Test
    void aRoundTripTakesAtLeastTheRtt() throws Exception {
        start(NetworkProfile.parse("rtt=40ms"), servers.echo());
        try (Socket s = connect(0)) {
            long start = System.nanoTime();
            s.getOutputStream().write(new byte[100]);
            s.getInputStream().readNBytes(100);

            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(38).toNanos());
        }
    }

    @Test
    void switchingTheProfileAppliesToLaterBytes() throws Exception {
        start(NetworkProfile.NONE, servers.echo());
        try (Socket s = connect(0)) {
            s.getOutputStream().write(1);
            s.getInputStream().read();
            network.profile(NetworkProfile.parse("rtt=60ms"));

            long start = System.nanoTime();
            s.getOutputStream().write(2);
            assertThat(s.getInputStream().read()).isEqualTo(2);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(58).toNanos());
        }
    }

    @Test
    void bandwidthPacesABulkTransfer() throws Exception {
        start(NetworkProfile.parse("bandwidth=80mbit"), servers.sink());
        // 1 MB at 80 Mbit/s (10 MB/s) takes 100 ms on the router's link; the node's link adds one chunk
        assertThat(timeToSink(0, 1_000_000)).isGreaterThanOrEqualTo(Duration.ofMillis(95).toNanos());
    }

    @Test
    void endpointsOnOneNodeShareItsLink() throws Exception {
        start(NetworkProfile.parse("bandwidth=80mbit,node=2"), servers.sink(), servers.sink());
        long start = System.nanoTime();
        CompletableFuture<Long> a = CompletableFuture.supplyAsync(() -> timeToSink(0, 1_000_000));
        CompletableFuture<Long> b = CompletableFuture.supplyAsync(() -> timeToSink(1, 1_000_000));
        a.join();
        b.join();
        // 2 MB through one 10 MB/s link: at least 200 ms in all, whichever way the two interleave
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(190).toNanos());
    }

    @Test
    void bytesArriveInOrderDespiteJitter() throws Exception {
        start(NetworkProfile.parse("rtt=1ms,jitter=2ms"), servers.echo());
        try (Socket s = connect(0)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 2_000; i++) {
                        out.writeInt(i);
                        out.flush();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < 2_000; i++) {
                assertThat(in.readInt()).isEqualTo(i);
            }
            writer.join();
        }
    }

    @Test
    void endOfStreamPassesOnAsAHalfClose() throws Exception {
        start(NetworkProfile.parse("rtt=2ms"), servers.echo());
        try (Socket s = connect(0)) {
            s.getOutputStream().write(new byte[] {1, 2, 3});
            s.shutdownOutput();

            assertThat(s.getInputStream().readAllBytes()).containsExactly(1, 2, 3);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> network.report().contains("connections=0"));
    }

    @Test
    void aRefusedEndpointClosesTheCallersConnection() throws Exception {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = gone.getLocalPort();
        }
        start(NetworkProfile.NONE, closedPort);
        try (Socket s = connect(0)) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (java.net.SocketException reset) {
            assertThat(reset).hasMessageContaining("reset");
        }
    }

    @Test
    void theReportCountsWhatWasDeliveredUnderTheProfile() throws Exception {
        start(NetworkProfile.parse("rtt=10ms"), servers.echo());
        try (Socket s = connect(0)) {
            for (int i = 0; i < 5; i++) {
                s.getOutputStream().write(new byte[10]);
                s.getInputStream().readNBytes(10);
            }
        }
        // the writer counts a chunk after handing it over, so the last reply may be read before it is counted
        await().atMost(Duration.ofSeconds(5)).until(() -> network.stats().chunks() >= 10);
        assertThat(network.report()).startsWith("profile=rtt=10000us,").contains("due_one_way_mean_us=");
    }

    private long timeToSink(int route, int bytes) {
        try (Socket s = connect(route)) {
            long start = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write(new byte[bytes]);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            assertThat(new DataInputStream(in).readLong()).isEqualTo(bytes); // the sink's count, once all arrived
            return System.nanoTime() - start;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
