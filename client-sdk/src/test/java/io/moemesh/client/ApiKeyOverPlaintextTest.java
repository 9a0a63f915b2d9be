package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.SecurityLevel;
import io.moemesh.proto.v1.Completion;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The API key over a real plaintext socket: refused unless allowed, and then only to loopback. */
class ApiKeyOverPlaintextTest {

    private final SocketMoeMesh mesh = new SocketMoeMesh();

    @AfterEach
    void stop() {
        mesh.close();
    }

    @Test
    void refusesToSendTheKeyOverPlaintextAndSendsNothing() {
        try (MoeMeshClient client = client().apiKey("k-123456").build()) {
            assertThatThrownBy(() -> client.generate(GenerateOptions.ofPrompt("hi")))
                    .isInstanceOf(UnauthenticatedException.class)
                    .hasMessageContaining("not sending the API key to 127.0.0.1:" + mesh.port())
                    .hasMessageContaining("tls(true)")
                    .hasMessageContaining("allowKeyOverPlaintext()");
        }

        assertThat(mesh.fake.headers).isEmpty(); // the call never reached the server, so neither did the key
        assertThat(mesh.fake.requests).isEmpty();
    }

    @Test
    void refusesTheKeyOnListModelsToo() {
        try (MoeMeshClient client = client().apiKey("k-123456").build()) {
            assertThatThrownBy(client::listModels).isInstanceOf(UnauthenticatedException.class);
        }

        assertThat(mesh.fake.headers).isEmpty();
    }

    @Test
    void sendsTheKeyOverPlaintextToLoopbackWhenAllowed() {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.completion(Completion.getDefaultInstance()));
        try (MoeMeshClient client = client().apiKey("k-123456").allowKeyOverPlaintext().build()) {
            client.generate(GenerateOptions.ofPrompt("hi"));
        }

        assertThat(mesh.fake.headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer k-123456");
    }

    @Test
    void callsWithoutAKeyStillWorkOverPlaintext() {
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.completion(Completion.getDefaultInstance()));
        try (MoeMeshClient client = client().build()) {
            client.generate(GenerateOptions.ofPrompt("hi"));
        }

        assertThat(mesh.fake.requests).hasSize(1);
        assertThat(mesh.fake.headers.getFirst().containsKey(ApiKeyCredentials.AUTHORIZATION)).isFalse();
    }

    @Test
    void loopbackOptInStillRefusesOtherHosts() {
        ApiKeyCredentials key = ApiKeyCredentials.of("k-123456").allowingPlaintextToLoopback();

        assertThat(key.refusal(SecurityLevel.NONE, "gateway.example.com:443"))
                .contains("not sending the API key to gateway.example.com:443")
                .contains("loopback addresses only");
        assertThat(key.refusal(SecurityLevel.INTEGRITY, "10.0.0.7:50051")).contains("security level INTEGRITY");
    }

    @Test
    void keyGoesToAnyHostOverTlsAndWithTheAnyHostOptIn() {
        ApiKeyCredentials key = ApiKeyCredentials.of("k-123456");

        assertThat(key.refusal(SecurityLevel.PRIVACY_AND_INTEGRITY, "gateway.example.com:443")).isNull();
        assertThat(key.allowingPlaintextToAnyHost().refusal(SecurityLevel.NONE, "gateway.example.com:443")).isNull();
        assertThat(key.refusal(SecurityLevel.NONE, "localhost:50051")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:50051", "LOCALHOST:1", "127.0.0.1:50051", "127.9.8.7:1", "[::1]:50051", "localhost"})
    void loopbackAuthorities(String authority) {
        assertThat(ApiKeyCredentials.isLoopback(authority)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1:50051", "gateway.example.com:443", "localhost.example.com:1", "[::2]:1",
            "0.0.0.0:50051", "128.0.0.1:1", ""})
    void nonLoopbackAuthorities(String authority) {
        assertThat(ApiKeyCredentials.isLoopback(authority)).isFalse();
    }

    @Test
    void tlsToAPlaintextServerSaysTheServerDoesNotSpeakTls() {
        try (MoeMeshClient client = MoeMeshClient.builder().target("localhost:" + mesh.port()).tls(true)
                .defaultDeadline(Duration.ofSeconds(10)).build()) {
            assertThatThrownBy(client::listModels).isInstanceOf(UnavailableException.class)
                    .hasMessageContaining("TLS handshake failed");
        }
    }

    @Test
    void builderRejectsAnUnreadableClientKey() {
        assertThatThrownBy(() -> MoeMeshClient.builder().target("localhost:1")
                .clientCertificate(java.nio.file.Path.of("/nonexistent/c.crt"), java.nio.file.Path.of("/nonexistent/c.key"))
                .build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/c.crt");
    }

    private MoeMeshClient.Builder client() {
        return MoeMeshClient.builder().target("127.0.0.1:" + mesh.port()).defaultDeadline(Duration.ofSeconds(10));
    }
}
