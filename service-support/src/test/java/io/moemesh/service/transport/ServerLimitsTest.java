package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP/2 limits of {@code moemesh.transport.*}, seen from a client on a real socket. */
class ServerLimitsTest {

    private static final int FRAME_SETTINGS = 0x4;
    private static final int FRAME_PING = 0x6;
    private static final int FRAME_GOAWAY = 0x7;
    private static final int ENHANCE_YOUR_CALM = 0xb;

    private final TlsMaterial tls = new TlsMaterial(TlsProperties.none());
    private Server server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        tls.close();
    }

    @Test
    void clientOpeningMoreStreamsThanTheLimitIsHeldToIt() throws IOException {
        TestService service = new TestService();
        server = start(new TransportProperties("127.0.0.1", null, 2, Duration.ofMinutes(15), Duration.ZERO, null,
                Duration.ofSeconds(20), 200, Duration.ofSeconds(10), null), service);
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(),
                InsecureChannelCredentials.create()).build();
        try {
            List<ListenableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                calls.add(ClientCalls.futureUnaryCall(channel.newCall(TestService.HOLD,
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), "call " + i));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> service.running.get() == 2);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> service.running.get() == 2);

            service.release.countDown();

            assertThat(calls).allSatisfy(c -> assertThat(c.get(10, TimeUnit.SECONDS)).startsWith("held call"));
            assertThat(service.maxRunning.get()).isEqualTo(2);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aServerWithAFloorLetsOneConnectionOpenThatManyStreamsAboveTheConfiguredLimit() throws IOException {
        // the router's public server: one gateway connection must reach the whole fair queue (queued + running)
        int floor = 300;
        int calls = 200; // above the default of 128
        TestService service = new TestService();
        server = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls, AuthProperties.of(null, true),
                Optional.empty()).internalServer("test", 0, 1024, Duration.ZERO, Set.of(), floor)
                .addService(service.definition()).build().start();
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(),
                InsecureChannelCredentials.create()).build();
        try {
            List<ListenableFuture<String>> held = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                held.add(ClientCalls.futureUnaryCall(channel.newCall(TestService.HOLD,
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), "call " + i));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> service.running.get() == calls);

            service.release.countDown();

            assertThat(held).allSatisfy(c -> assertThat(c.get(10, TimeUnit.SECONDS)).startsWith("held call"));
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aFloorBelowTheConfiguredLimitKeepsTheConfiguredOne() {
        TransportProperties transport = TransportProperties.defaults("127.0.0.1");

        assertThat(transport.maxConcurrentCallsPerConnection(10)).isEqualTo(128);
        assertThat(transport.maxConcurrentCallsPerConnection(288)).isEqualTo(288);
    }

    @Test
    void clientPingingTooOftenIsToldToCalmDownAndDisconnected() throws IOException {
        server = start(TransportProperties.defaults("127.0.0.1"), new TestService());

        try (Socket socket = new Socket("127.0.0.1", server.getPort())) {
            socket.setSoTimeout(10_000);
            // one write: written frame by frame, the server may close after the first pings and a
            // later write fail with "Broken pipe" before the GOAWAY is read
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frames.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frames.write(frame(FRAME_SETTINGS, 0, new byte[0]));
            for (int i = 0; i < 5; i++) {
                frames.write(frame(FRAME_PING, 0, ByteBuffer.allocate(8).putLong(i).array()));
            }
            OutputStream out = socket.getOutputStream();
            out.write(frames.toByteArray());
            out.flush();

            assertThat(goAwayErrorCode(new DataInputStream(socket.getInputStream()))).isEqualTo(ENHANCE_YOUR_CALM);
        }
    }

    private Server start(TransportProperties transport, TestService service) throws IOException {
        return new GrpcServerFactory(transport, tls, AuthProperties.of(null, true), Optional.empty())
                .internalServer("test", 0, 1024, Duration.ZERO, Set.of())
                .addService(service.definition()).build().start();
    }

    /** Reads frames until GOAWAY and returns its error code. */
    private static int goAwayErrorCode(DataInputStream in) throws IOException {
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            in.readUnsignedByte(); // flags
            in.readInt(); // stream id
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == FRAME_GOAWAY) {
                return ByteBuffer.wrap(payload).getInt(4);
            }
        }
    }

    private static byte[] frame(int type, int flags, byte[] payload) {
        return ByteBuffer.allocate(9 + payload.length)
                .put((byte) (payload.length >>> 16)).putShort((short) payload.length)
                .put((byte) type).put((byte) flags).putInt(0).put(payload).array();
    }
}
