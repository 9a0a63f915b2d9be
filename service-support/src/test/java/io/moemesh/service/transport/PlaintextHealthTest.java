package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.transport.TlsProperties.ClientAuth;
import io.moemesh.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** moemesh.transport.health-port: probes without TLS see the health of an mTLS server, and nothing else. */
class PlaintextHealthTest {

    @TempDir
    Path dir;

    @Test
    void plaintextHealthPortServesOnlyHealthBesideAnMtlsServer() {
        TestPki pki = TestPki.create(dir);
        TestPki.Issued cert = pki.issue("router", "localhost", "127.0.0.1");
        TransportProperties transport = new TransportProperties("127.0.0.1", null, 128, Duration.ofMinutes(15),
                Duration.ZERO, null, Duration.ofSeconds(20), 200, Duration.ofSeconds(10), 0);
        try (TlsMaterial tls = new TlsMaterial(new TlsProperties(cert.certFile(), cert.keyFile(), pki.caCertFile(),
                ClientAuth.REQUIRE, Duration.ofMinutes(1)))) {
            GrpcServerFactory factory = new GrpcServerFactory(transport, tls, AuthProperties.of(null, false),
                    Optional.empty());
            GrpcServerLifecycle server = new GrpcServerLifecycle("test",
                    factory.internalServer("test", 0, 1 << 20, Duration.ZERO, Set.of()),
                    List.of(new TestService().definition()), new HealthStatusManager(), Duration.ofSeconds(1),
                    new GrpcServerLifecycle.Hooks() { })
                    .plaintextHealth(factory.healthServer().orElseThrow());
            server.start();
            ManagedChannel probe = Grpc.newChannelBuilder("127.0.0.1:" + server.healthPort(),
                    InsecureChannelCredentials.create()).build();
            try {
                assertThat(check(probe)).isEqualTo(ServingStatus.SERVING);
                assertThatThrownBy(() -> TestService.call(probe, TestService.COMPUTE, "x"))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));

                server.markNotServing("a test");

                assertThat(check(probe)).isEqualTo(ServingStatus.NOT_SERVING);
            } finally {
                probe.shutdownNow();
                server.stop();
            }
        }
    }

    @Test
    void noHealthPortByDefault() {
        try (TlsMaterial tls = new TlsMaterial(TlsProperties.none())) {
            assertThat(new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls,
                    AuthProperties.of(null, true), Optional.empty()).healthServer()).isEmpty();
        }
    }

    private static ServingStatus check(ManagedChannel channel) {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    }
}
