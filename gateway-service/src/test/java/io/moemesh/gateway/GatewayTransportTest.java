package io.moemesh.gateway;

import io.moemesh.gateway.openai.OpenAiHttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.transport.AuthProperties;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalToken;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TlsProperties;
import io.moemesh.service.transport.TransportProperties;
import io.moemesh.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * TLS at the gateway's public port (no client certificate asked for there), and the gateway as an
 * internal client of a router that requires mTLS and the internal token.
 */
class GatewayTransportTest {

    private static final String API_KEY = "gw-test-key-0123456789abcdefghijklmnop";

    @TempDir
    static Path dir;

    private static final FakeRouter ROUTER = new FakeRouter("tls");
    private static TestPki pki;
    private static TlsMaterial routerTls;
    private static Server router;
    private static ConfigurableApplicationContext gateway;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"));
        TestPki.Issued routerCert = pki.issue("router", "localhost", "127.0.0.1");
        TestPki.Issued gatewayCert = pki.issue("gateway", "localhost", "127.0.0.1");
        Path token = Files.writeString(dir.resolve("token"), "Rt5uY8iO1pA4sD7fG0hJ3kL6zX9cV2bN");
        routerTls = new TlsMaterial(new TlsProperties(routerCert.certFile(), routerCert.keyFile(), pki.caCertFile(),
                TlsProperties.ClientAuth.REQUIRE, Duration.ofMinutes(1)));
        router = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), routerTls,
                AuthProperties.of(token, false), Optional.of(InternalToken.fromFile(token)))
                .internalServer("router", 0, 1 << 20, Duration.ZERO, Set.of()).addService(ROUTER).build().start();
        gateway = SpringApplication.run(GatewayApplication.class, "--moemesh.gateway.grpc-port=0", "--moemesh.gateway.http-port=0",
                "--moemesh.gateway.routers=127.0.0.1:" + router.getPort(), "--MOEMESH_API_KEYS=" + API_KEY,
                "--server.port=0", "--moemesh.transport.bind-address=127.0.0.1",
                "--moemesh.tls.cert-file=" + gatewayCert.certFile(), "--moemesh.tls.key-file=" + gatewayCert.keyFile(),
                "--moemesh.tls.ca-file=" + pki.caCertFile(), "--moemesh.tls.client-auth=require",
                "--moemesh.auth.internal-token-file=" + token);
        port = gateway.getBean(GrpcServerLifecycle.class).port();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        gateway.close();
        router.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        routerTls.close();
    }

    @Test
    void clientWithoutCertificateGeneratesOverTlsThroughAnMtlsRouter() throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + port, TlsChannelCredentials.newBuilder()
                .trustManager(pki.caCertFile().toFile()).build()).build();
        try {
            Iterator<GenerateResponse> stream = stub(channel).generate(GenerateRequest.newBuilder()
                    .setPrompt("hello").build());
            List<GenerateResponse> responses = new ArrayList<>();
            stream.forEachRemaining(responses::add);

            assertThat(responses).anySatisfy(r -> assertThat(r.hasCompletion()).isTrue());
            assertThat(ROUTER.requests).isNotEmpty();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void plaintextClientIsRefused() {
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .build();
        try {
            assertThatThrownBy(() -> stub(channel).generate(GenerateRequest.newBuilder().setPrompt("hello").build())
                    .next())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                            .isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL));
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void theOpenAiApiServesHttpsWithTheGatewaysCertificate() throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream ca = Files.newInputStream(pki.caCertFile())) {
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        int httpPort = gateway.getBean(OpenAiHttpServer.class).port();
        try (HttpClient client = HttpClient.newBuilder().sslContext(tls).build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + httpPort + "/v1/models"))
                    .header("Authorization", "Bearer " + API_KEY).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"object\":\"list\"");
        }
        try (HttpClient plain = HttpClient.newHttpClient()) {
            assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        }
    }

    private static MoeMeshGrpc.MoeMeshBlockingStub stub(ManagedChannel channel) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + API_KEY);
        return MoeMeshGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
                MetadataUtils.newAttachHeadersInterceptor(headers))).withDeadlineAfter(10, TimeUnit.SECONDS);
    }
}
