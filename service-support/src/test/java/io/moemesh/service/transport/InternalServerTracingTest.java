package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tracing on an internal server with the internal token, over a real socket: the span interceptor
 * runs outside the token check, so a refused call still fails as before and is traced; calls that
 * carry no trace context, and health checks, are not traced.
 */
class InternalServerTracingTest {

    private static final String TOKEN = "k2x9VqT7mWbL0pR4sYc8dF1gH6jN3uZa";

    @TempDir
    Path dir;

    private final InMemoryTracing tracing = new InMemoryTracing("test-service");
    private final GrpcTracing grpc = GrpcTracing.of(tracing.tracer(), tracing.propagator());
    private final TlsMaterial tls = new TlsMaterial(TlsProperties.none());
    private InternalToken token;
    private Server server;

    @BeforeEach
    void start() throws IOException {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        token = new InternalToken(tokenFile, Duration.ZERO, System::nanoTime);
        server = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls, AuthProperties.of(tokenFile,
                false), Optional.of(token), grpc)
                .internalServer("test", 0, 1 << 20, Duration.ofSeconds(1), Set.of())
                .addService(new TestService().definition()).addService(new HealthStatusManager().getHealthService())
                .build().start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.close();
        tracing.close();
    }

    @Test
    void callIsOneTraceAcrossTheClientAndTheServer() {
        ManagedChannel channel = channel(Optional.of(token), grpc);

        assertThat(TestService.call(channel, TestService.COMPUTE, "x")).isEqualTo("computed x");

        SpanData client = awaitSpan(SpanKind.CLIENT);
        SpanData server = awaitSpan(SpanKind.SERVER);
        assertThat(server.getTraceId()).isEqualTo(client.getTraceId());
        assertThat(server.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(server.getName()).isEqualTo(TestService.NAME + "/Compute");
        channel.shutdownNow();
    }

    @Test
    void callRefusedForItsMissingTokenStillFailsCleanlyAndIsTraced() {
        ManagedChannel channel = channel(Optional.empty(), grpc);

        assertThatThrownBy(() -> TestService.call(channel, TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("moemesh.auth.internal-token-file");
                });

        SpanData client = awaitSpan(SpanKind.CLIENT);
        SpanData server = awaitSpan(SpanKind.SERVER);
        assertThat(server.getParentSpanId()).isEqualTo(client.getSpanId());
        assertThat(server.getAttributes().get(AttributeKey.stringKey("grpc.status_code"))).isEqualTo("UNAUTHENTICATED");
        channel.shutdownNow();
    }

    @Test
    void callsWithoutATraceContextAndHealthChecksAreNotTraced() {
        ManagedChannel untraced = channel(Optional.of(token), GrpcTracing.off());
        ManagedChannel traced = channel(Optional.of(token), grpc);

        assertThat(TestService.call(untraced, TestService.COMPUTE, "x")).isEqualTo("computed x");
        HealthGrpc.newBlockingStub(traced).check(HealthCheckRequest.getDefaultInstance());
        assertThat(TestService.call(traced, TestService.COMPUTE, "y")).isEqualTo("computed y");

        SpanData server = awaitSpan(SpanKind.SERVER); // the last call's, only
        assertThat(tracing.spans()).filteredOn(s -> s.getKind() == SpanKind.SERVER).containsExactly(server);
        assertThat(tracing.spans()).filteredOn(s -> s.getKind() == SpanKind.CLIENT)
                .extracting(SpanData::getName).containsExactlyInAnyOrder("grpc.health.v1.Health/Check",
                        TestService.NAME + "/Compute");
        untraced.shutdownNow();
        traced.shutdownNow();
    }

    private ManagedChannel channel(Optional<InternalToken> withToken, GrpcTracing tracing) {
        return new InternalChannelFactory(tls, withToken, tracing).builder("127.0.0.1:" + server.getPort()).build();
    }

    private SpanData awaitSpan(SpanKind kind) {
        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans().stream().anyMatch(s -> s.getKind() == kind));
        List<SpanData> spans = tracing.spans().stream().filter(s -> s.getKind() == kind).toList();
        return spans.getLast();
    }
}
