package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.moemesh.client.ApiKeyCredentials;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.UnavailableException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client SDK and {@code moe generate} against a gateway that speaks TLS with a certificate from a
 * private CA ({@link TestPki}), over a real socket. (These SDK tests live here rather than in
 * client-sdk because test-support, which has TestPki, depends on client-sdk.)
 */
class GatewayTlsTest {

    private static final String KEY = "tls-key-0123456789abcdef0123456789";

    @TempDir
    Path dir;
    private TestPki pki;
    private final List<GenerateRequest> received = new CopyOnWriteArrayList<>();
    private final List<Metadata> headers = new CopyOnWriteArrayList<>();
    private Server gateway;

    @BeforeEach
    void issueCertificates() {
        pki = TestPki.create(dir.resolve("pki"));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.shutdownNow();
        }
    }

    @Test
    void theSdkSendsTheKeyOverTlsTrustingTheCaFile() throws IOException {
        start(serverTls());

        try (MoeMeshClient client = sdk().tls(pki.caCertFile()).apiKey(KEY).build()) {
            GenerationResult result = client.generate(GenerateOptions.ofPrompt("Hello"));
            assertThat(result.text()).isEqualTo(" world");
        }

        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer " + KEY);
    }

    @Test
    void aServerCertificateFromAnotherCaFailsTheHandshakeWithAnActionableMessageAndSendsNoKey() throws IOException {
        start(serverTls());
        TestPki other = TestPki.create(dir.resolve("other"));

        try (MoeMeshClient client = sdk().tls(other.caCertFile()).apiKey(KEY).build()) {
            assertThatThrownBy(() -> client.generate(GenerateOptions.ofPrompt("Hello")))
                    .isInstanceOf(UnavailableException.class)
                    .hasMessageContaining("TLS handshake failed: the server's certificate is not trusted")
                    .hasMessageContaining("tls(caFile)").hasMessageContaining("--ca-cert FILE");
        }

        assertThat(headers).isEmpty();
        assertThat(received).isEmpty();
    }

    @Test
    void byDefaultTlsTrustsTheJvmsRootsOnlySoAPrivateCaIsRefused() throws IOException {
        start(serverTls());

        try (MoeMeshClient client = sdk().tls(true).apiKey(KEY).build()) {
            assertThatThrownBy(client::listModels).isInstanceOf(UnavailableException.class)
                    .hasMessageContaining("the server's certificate is not trusted");
        }

        assertThat(headers).isEmpty();
    }

    @Test
    void theSdkPresentsItsClientCertificateToAServerThatRequiresOne() throws IOException {
        start(serverMutualTls());
        TestPki.Issued me = pki.issue("sdk-client", "sdk-client");

        try (MoeMeshClient client = sdk().tls(pki.caCertFile()).clientCertificate(me.certFile(), me.keyFile())
                .apiKey(KEY).build()) {
            assertThat(client.generate(GenerateOptions.ofPrompt("Hello")).text()).isEqualTo(" world");
        }

        assertThat(received).hasSize(1);
    }

    @Test
    void withoutAClientCertificateAServerThatRequiresOneServesNothing() throws IOException {
        start(serverMutualTls());

        try (MoeMeshClient client = sdk().tls(pki.caCertFile()).apiKey(KEY).build()) {
            assertThatThrownBy(() -> client.generate(GenerateOptions.ofPrompt("Hello")))
                    .isInstanceOf(UnavailableException.class)
                    .hasMessageContaining("TLS handshake failed").hasMessageContaining("client certificate");
        }

        assertThat(received).isEmpty();
    }

    @Test
    void channelCredentialsBuiltByTheCallerAreUsedAsGiven() throws IOException {
        start(serverTls());

        try (MoeMeshClient client = sdk().channelCredentials(TlsChannelCredentials.newBuilder()
                .trustManager(pki.caCertFile().toFile()).build()).apiKey(KEY).build()) {
            client.generate(GenerateOptions.ofPrompt("Hello"));
        }

        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer " + KEY);
    }

    @Test
    void moeGenerateSpeaksTlsWithCaCertAndSendsTheKeyFromApiKeyFile() throws IOException {
        start(serverTls());
        Path keyFile = Files.writeString(dir.resolve("key"), KEY + "\n");

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("generate", "--gateway", "localhost:" + gateway.getPort(),
                "--ca-cert", pki.caCertFile().toString(), "--api-key-file", keyFile.toString(), "--prompt", "Hello");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("Hello world");
        assertThat(headers.getFirst().get(ApiKeyCredentials.AUTHORIZATION)).isEqualTo("Bearer " + KEY);
    }

    @Test
    void moeGeneratePresentsClientCertAndClientKey() throws IOException {
        start(serverMutualTls());
        TestPki.Issued me = pki.issue("cli-client", "cli-client");

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("generate", "--gateway", "localhost:" + gateway.getPort(),
                "--ca-cert", pki.caCertFile().toString(), "--client-cert", me.certFile().toString(),
                "--client-key", me.keyFile().toString(), "--prompt", "Hello");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(received).hasSize(1);
    }

    @Test
    void serverNameChecksTheCertificateAgainstANameOtherThanTheTargetsHost() throws IOException {
        TestPki.Issued cert = pki.issue("gateway", "moe-mesh-gateway.moe.svc"); // as behind kubectl port-forward
        start(TlsServerCredentials.create(cert.certFile().toFile(), cert.keyFile().toFile()));

        GatewayGenerateTest.Run withName = GatewayGenerateTest.run("generate", "--gateway", "localhost:" + gateway.getPort(),
                "--ca-cert", pki.caCertFile().toString(), "--server-name", "moe-mesh-gateway.moe.svc", "--prompt", "Hi");
        GatewayGenerateTest.Run withoutName = GatewayGenerateTest.run("generate", "--gateway",
                "localhost:" + gateway.getPort(), "--ca-cert", pki.caCertFile().toString(), "--prompt", "Hi");

        assertThat(withName.code()).as(withName.err()).isZero();
        assertThat(withoutName.code()).isEqualTo(1);
        assertThat(withoutName.err()).contains("host name you connect to is in the certificate");
        assertThat(received).hasSize(1);
    }

    @Test
    void moeGenerateWithTlsToAPrivateCaSaysToPassCaCert() throws IOException {
        start(serverTls());

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("generate", "--gateway", "localhost:" + gateway.getPort(),
                "--tls", "--prompt", "Hello");

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("not trusted").contains("--ca-cert FILE");
    }

    private ServerCredentials serverTls() throws IOException {
        TestPki.Issued cert = pki.issue("gateway", "localhost", "127.0.0.1");
        return TlsServerCredentials.create(cert.certFile().toFile(), cert.keyFile().toFile());
    }

    private ServerCredentials serverMutualTls() throws IOException {
        TestPki.Issued cert = pki.issue("gateway", "localhost", "127.0.0.1");
        return TlsServerCredentials.newBuilder().keyManager(cert.certFile().toFile(), cert.keyFile().toFile())
                .trustManager(pki.caCertFile().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
    }

    private void start(ServerCredentials credentials) throws IOException {
        gateway = Grpc.newServerBuilderForPort(0, credentials).intercept(GatewayGenerateTest.recordingHeaders(headers))
                .addService(GatewayGenerateTest.fakeGateway(received)).build().start();
    }

    private MoeMeshClient.Builder sdk() {
        return MoeMeshClient.builder().target("localhost:" + gateway.getPort()).defaultDeadline(Duration.ofSeconds(20));
    }
}
