package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The internal token on a real (plaintext) socket: required on every call but health. */
class InternalTokenTest {

    private static final String TOKEN = "k2x9VqT7mWbL0pR4sYc8dF1gH6jN3uZa";

    @TempDir
    Path dir;

    private Path tokenFile;
    private Server server;
    private ManagedChannel channel;
    private TlsMaterial tls;

    @BeforeEach
    void start() throws IOException {
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        InternalToken token = new InternalToken(tokenFile, Duration.ZERO, System::nanoTime);
        tls = new TlsMaterial(TlsProperties.none());
        HealthStatusManager health = new HealthStatusManager();
        server = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls, AuthProperties.of(tokenFile,
                false), Optional.of(token))
                .internalServer("test", 0, 1 << 20, Duration.ofSeconds(1), Set.of())
                .addService(new TestService().definition()).addService(health.getHealthService()).build().start();
        channel = Grpc.newChannelBuilder("127.0.0.1:" + server.getPort(), InsecureChannelCredentials.create()).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        tls.close();
    }

    @Test
    void callWithoutTokenIsUnauthenticated() {
        assertThatThrownBy(() -> TestService.call(channel, TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("moemesh.auth.internal-token-file");
                });
    }

    @Test
    void callWithWrongTokenIsUnauthenticated() {
        Channel wrong = withBearer("x".repeat(40));

        assertThatThrownBy(() -> TestService.call(wrong, TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void channelFactorySendsTheTokenOfTheFile() {
        ManagedChannel internal = new InternalChannelFactory(tls, Optional.of(InternalToken.fromFile(tokenFile)))
                .builder("127.0.0.1:" + server.getPort()).build();
        try {
            assertThat(TestService.call(internal, TestService.COMPUTE, "x")).isEqualTo("computed x");
            assertThat(TestService.call(internal, TestService.WHOAMI, "")).isEqualTo("internal-token");
        } finally {
            internal.shutdownNow();
        }
    }

    @Test
    void healthNeedsNoToken() {
        assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void rotatedTokenFileIsAcceptedAndTheOldTokenRefused() throws IOException {
        String rotated = "Zq8" + TOKEN.substring(3);
        Files.writeString(tokenFile, rotated);

        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(TestService.call(withBearer(rotated), TestService.COMPUTE, "x")).isEqualTo("computed x"));
        assertThatThrownBy(() -> TestService.call(withBearer(TOKEN), TestService.COMPUTE, "x"))
                .isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void everyTokenLineIsAcceptedAndTheFirstIsSent() throws IOException {
        String next = "Nx7" + TOKEN.substring(3);
        Files.writeString(tokenFile, "# rotation: the new token first, the old one until every pod has it\n"
                + next + "\n\n" + TOKEN + "\n");
        InternalToken token = new InternalToken(tokenFile, Duration.ZERO, System::nanoTime);

        assertThat(token.value()).isEqualTo(next);
        assertThat(token.matches(next)).isTrue();
        assertThat(token.matches(TOKEN)).isTrue();
        assertThat(token.matches("x".repeat(40))).isFalse();
        assertThat(token.matches(next + "\n" + TOKEN)).isFalse();
    }

    @Test
    void podsInEveryStepOfARotationAcceptEachOther() throws IOException {
        String next = "Nx7" + TOKEN.substring(3);
        Files.writeString(tokenFile, TOKEN + "\n" + next + "\n"); // step 1: the new token added second
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThat(TestService.call(withBearer(next), TestService.COMPUTE, "x")).isEqualTo("computed x"));
        assertThat(TestService.call(withBearer(TOKEN), TestService.COMPUTE, "x")).isEqualTo("computed x");

        Files.writeString(tokenFile, next + "\n" + TOKEN + "\n"); // step 2: the new token sent
        Files.writeString(tokenFile, next + "\n");                 // step 3: the old one removed
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() ->
                assertThatThrownBy(() -> TestService.call(withBearer(TOKEN), TestService.COMPUTE, "x"))
                        .isInstanceOf(StatusRuntimeException.class));
        assertThat(TestService.call(withBearer(next), TestService.COMPUTE, "x")).isEqualTo("computed x");
    }

    @Test
    void anyShortTokenLineStopsStartUp() throws IOException {
        Path file = Files.writeString(dir.resolve("mixed"), TOKEN + "\ntooshort\n");

        assertThatThrownBy(() -> InternalToken.fromFile(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32").hasMessageContaining("line 2");
    }

    @Test
    void fileWithoutTokenStopsStartUp() throws IOException {
        Path file = Files.writeString(dir.resolve("empty"), "# nothing yet\n\n");

        assertThatThrownBy(() -> InternalToken.fromFile(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no token");
    }

    @Test
    void tokenShorterThanTheMinimumStopsStartUp() throws IOException {
        Path shortToken = Files.writeString(dir.resolve("short"), "tooshort");

        assertThatThrownBy(() -> InternalToken.fromFile(shortToken))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 32");
    }

    @Test
    void invalidTokenWrittenLaterKeepsThePreviousOne() throws IOException {
        InternalToken token = new InternalToken(tokenFile, Duration.ZERO, System::nanoTime);
        Files.writeString(tokenFile, "short");

        assertThat(token.matches(TOKEN)).isTrue();
    }

    private Channel withBearer(String token) {
        Metadata headers = new Metadata();
        headers.put(InternalTokenInterceptor.AUTHORIZATION, "Bearer " + token);
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }
}
