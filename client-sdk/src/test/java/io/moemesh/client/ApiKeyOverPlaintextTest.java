package io.moemesh.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.SecurityLevel;
import io.moemesh.proto.v1.Completion;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The API key over a real plaintext socket: refused unless allowed, and then only to loopback. */
class ApiKeyOverPlaintextTest {

    private static final InetAddress REMOTE = InetAddress.ofLiteral("10.0.0.7");

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
                    .hasMessageContaining("not sending the API key to 127.0.0.1:" + mesh.port() + " (connected to 127.0.0.1:"
                        + mesh.port() + ")")
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

        assertThat(key.refusal(SecurityLevel.NONE, "gateway.example.com:443", new InetSocketAddress(REMOTE, 443)))
                .contains("not sending the API key to gateway.example.com:443")
                .contains("loopback addresses only");
        assertThat(key.refusal(SecurityLevel.INTEGRITY, "10.0.0.7:50051", new InetSocketAddress(REMOTE, 50051)))
                .contains("security level INTEGRITY");
    }

    @Test
    void loopbackIsJudgedByTheRemoteAddressNotTheAuthority() {
        ApiKeyCredentials key = ApiKeyCredentials.of("k-123456").allowingPlaintextToLoopback();

        assertThat(key.refusal(SecurityLevel.NONE, "localhost:50051", new InetSocketAddress(REMOTE, 50051)))
                .contains("not sending the API key to localhost:50051 (connected to 10.0.0.7:50051)");
        assertThat(key.refusal(SecurityLevel.NONE, "localhost:50051", null)).isNotNull();
        assertThat(key.refusal(SecurityLevel.NONE, "gateway:1", new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)))
                .isNull();
    }

    @Test
    void keyGoesToAnyHostOverTlsAndWithTheAnyHostOptIn() {
        ApiKeyCredentials key = ApiKeyCredentials.of("k-123456");
        InetSocketAddress remote = new InetSocketAddress(REMOTE, 443);

        assertThat(key.refusal(SecurityLevel.PRIVACY_AND_INTEGRITY, "gateway.example.com:443", remote)).isNull();
        assertThat(key.allowingPlaintextToAnyHost().refusal(SecurityLevel.NONE, "gateway.example.com:443", remote))
                .isNull();
        assertThat(key.refusal(SecurityLevel.NONE, "localhost:50051",
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 50051))).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.9.8.7", "::1"})
    void loopbackAddresses(String address) {
        assertThat(ApiKeyCredentials.isLoopback(new InetSocketAddress(InetAddress.ofLiteral(address), 1))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "::2", "0.0.0.0", "128.0.0.1"})
    void nonLoopbackAddresses(String address) {
        assertThat(ApiKeyCredentials.isLoopback(new InetSocketAddress(InetAddress.ofLiteral(address), 1))).isFalse();
    }

    @Test
    void unresolvedOrUnknownRemoteIsNotLoopback() {
        assertThat(ApiKeyCredentials.isLoopback(InetSocketAddress.createUnresolved("localhost", 1))).isFalse();
        assertThat(ApiKeyCredentials.isLoopback(null)).isFalse();
    }

    @Test
    void aServerNameOfLocalhostDoesNotMakeARemotePlaintextHostLocal() throws Exception {
        InetAddress nonLoopback = nonLoopbackLocalAddress();
        assumeTrue(nonLoopback != null, "this machine has no non-loopback address to reach the server on");
        mesh.fake.script = FakeMoeMesh.streaming(FakeMoeMesh.completion(Completion.getDefaultInstance()));
        // the builder refuses serverName without TLS, so build the channel the way a caller's own code could
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(nonLoopback.getHostAddress(), mesh.port(),
                InsecureChannelCredentials.create()).overrideAuthority("localhost").build();
        try (MoeMeshClient client = MoeMeshClient.builder().channel(channel).apiKey("k-123456").allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofSeconds(10)).build()) {
            assertThatThrownBy(() -> client.generate(GenerateOptions.ofPrompt("hi")))
                    .isInstanceOf(UnauthenticatedException.class)
                    .hasMessageContaining("loopback addresses only");
        } finally {
            channel.shutdownNow();
        }

        assertThat(mesh.fake.headers).noneMatch(headers -> headers.containsKey(ApiKeyCredentials.AUTHORIZATION));
    }

    @Test
    void builderRefusesAServerNameWithoutTls() {
        assertThatThrownBy(() -> MoeMeshClient.builder().target("10.0.0.7:50051").serverName("localhost")
                .apiKey("k-123456").allowKeyOverPlaintext().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("serverName(\"localhost\") needs TLS")
                .hasMessageContaining("tls(true)");
    }

    private static InetAddress nonLoopbackLocalAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
                    return address;
                }
            }
        }
        return null;
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
