package io.moemesh.placement.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The health probe against a real gRPC server on a loopback port. */
class GrpcHealthCheckTest {

    private final HealthStatusManager health = new HealthStatusManager();
    private final GrpcHealthCheck check = new GrpcHealthCheck(
            target -> Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build(), Duration.ofSeconds(2));
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    private String serve() throws IOException {
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(health.getHealthService())
                .build().start();
        return "127.0.0.1:" + server.getPort();
    }

    @Test
    void servingOnlyWhileTheServerSaysSo() throws IOException {
        String target = serve();

        assertThat(check.serving(target)).isTrue();

        health.setStatus("", ServingStatus.NOT_SERVING);

        assertThat(check.serving(target)).isFalse();
    }

    @Test
    void aPortNobodyListensOnIsNotServing() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }

        assertThat(check.serving("127.0.0.1:" + port)).isFalse();
    }
}
