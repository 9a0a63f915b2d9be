package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.service.transport.TlsProperties.ClientAuth;
import io.moemesh.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS between a server and channels made by the factories, over real sockets. */
class TlsTransportTest {

    private static final Duration RELOAD = Duration.ofMillis(100);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private TestPki pki;
    private TestPki.Issued serverCert;

    @BeforeEach
    void issueServerCertificate() {
        pki = TestPki.create(dir.resolve("pki"));
        serverCert = pki.issue("expert", "localhost", "127.0.0.1");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void clientTrustingTheCaCompletesTheHandshake() throws IOException {
        int port = start(ClientAuth.NONE, List.of());

        assertThat(TestService.call(channel(port, pki.caCertFile(), null), TestService.COMPUTE, "x"))
                .isEqualTo("computed x");
        assertThat(TestService.call(channel(port, pki.caCertFile(), null), TestService.WHOAMI, ""))
                .as("allow-unauthenticated, no client certificate").isEqualTo("none");
    }

    @Test
    void clientTrustingAnotherCaRefusesTheServer() throws IOException {
        int port = start(ClientAuth.NONE, List.of());
        TestPki other = TestPki.create(dir.resolve("other"));

        assertThatThrownBy(() -> TestService.call(channel(port, other.caCertFile(), null), TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void plaintextClientIsRefusedByATlsServer() throws IOException {
        int port = start(ClientAuth.NONE, List.of());
        ManagedChannel plaintext = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create())
                .build();
        open.add(plaintext::shutdownNow);

        assertThatThrownBy(() -> TestService.call(plaintext, TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL));
    }

    @Test
    void rotatedCertificateIsServedWithoutRestart() throws IOException {
        int port = start(ClientAuth.NONE, List.of());
        TestPki next = TestPki.create(dir.resolve("next"));
        TestPki.Issued rotated = next.issue("expert", "localhost", "127.0.0.1");

        Files.copy(rotated.keyFile(), serverCert.keyFile(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(rotated.certFile(), serverCert.certFile(), StandardCopyOption.REPLACE_EXISTING);

        // a fresh channel per try: connections already open keep the certificate of their handshake
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                assertThat(TestService.call(channel(port, next.caCertFile(), null), TestService.COMPUTE, "x"))
                        .isEqualTo("computed x"));
        assertThatThrownBy(() -> TestService.call(channel(port, pki.caCertFile(), null), TestService.COMPUTE, "x"))
                .isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void mutualTlsRefusesAClientWithoutCertificate() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));

        assertThatThrownBy(() -> TestService.call(channel(port, pki.caCertFile(), null), TestService.COMPUTE, "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void wrongIdentityMayComputeButNotSetPartnerUnits() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));
        ManagedChannel router = channel(port, pki.caCertFile(), pki.issue("router", "router.moe"));

        assertThat(TestService.call(router, TestService.COMPUTE, "x")).isEqualTo("computed x");
        assertThat(TestService.call(router, TestService.WHOAMI, "")).isEqualTo("certificate router.moe");
        assertThatThrownBy(() -> TestService.call(router, TestService.SET_PARTNER_UNITS, "7:1"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("'router.moe'", "SetPartnerUnits");
                });
    }

    @Test
    void allowedIdentityMaySetPartnerUnits() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));
        ManagedChannel controller = channel(port, pki.caCertFile(), pki.issue("controller", "controller.moe"));

        assertThat(TestService.call(controller, TestService.SET_PARTNER_UNITS, "7:1")).isEqualTo("set 7:1");
    }

    @Test
    void anyDnsNameOfTheCertificateMayBeTheAllowedOne() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));
        ManagedChannel controller = channel(port, pki.caCertFile(),
                pki.issue("controller", "controller-0.controller.moe.svc", "controller.moe"));

        assertThat(TestService.call(controller, TestService.SET_PARTNER_UNITS, "7:1")).isEqualTo("set 7:1");
    }

    @Test
    void theCommonNameMayBeTheAllowedOneBesideDnsNames() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller"));
        ManagedChannel controller = channel(port, pki.caCertFile(), pki.issue("controller", "controller.moe"));

        assertThat(TestService.call(controller, TestService.SET_PARTNER_UNITS, "7:1")).isEqualTo("set 7:1");
    }

    @Test
    void permissionDeniedListsEveryNameSeen() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));
        ManagedChannel router = channel(port, pki.caCertFile(), pki.issue("router", "router.moe", "router-1.moe"));

        assertThatThrownBy(() -> TestService.call(router, TestService.SET_PARTNER_UNITS, "7:1"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("router.moe", "router-1.moe", "CN router");
                });
    }

    @Test
    void identityWithoutDnsNameIsTheCommonName() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of("controller.moe"));
        ManagedChannel controller = channel(port, pki.caCertFile(), pki.issue("controller.moe"));

        assertThat(TestService.call(controller, TestService.SET_PARTNER_UNITS, "7:1")).isEqualTo("set 7:1");
    }

    @Test
    void loopbackChannelReachesTheServiceItselfUnderMutualTls() throws IOException {
        int port = start(ClientAuth.REQUIRE, List.of());
        TlsMaterial own = material(new TlsProperties(serverCert.certFile(), serverCert.keyFile(), pki.caCertFile(),
                ClientAuth.REQUIRE, RELOAD));
        ManagedChannel loopback = new InternalChannelFactory(own, Optional.empty()).loopbackBuilder(
                "127.0.0.1:" + port).build();
        open.add(loopback::shutdownNow);

        assertThat(TestService.call(loopback, TestService.COMPUTE, "warm")).isEqualTo("computed warm");
    }

    /** Discovery gives pod IPs, which no certificate names: the expert is verified by the name its certificate carries. */
    @Test
    void expertReachedByAddressIsVerifiedAsTheExpertServerName() throws IOException {
        serverCert = pki.issue("expert-by-name", "expert.moe.svc");
        int port = start(ClientAuth.REQUIRE, List.of());
        TestPki.Issued router = pki.issue("router", "router.moe.svc");

        ManagedChannel named = expertChannel(port, router, "expert.moe.svc");
        assertThat(TestService.call(named, TestService.COMPUTE, "x")).isEqualTo("computed x");

        ManagedChannel unnamed = expertChannel(port, router, null);
        assertThatThrownBy(() -> TestService.call(unnamed, TestService.COMPUTE, "x"))
                .as("127.0.0.1 is not a name of the certificate")
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        ManagedChannel otherName = expertChannel(port, router, "router.moe.svc");
        assertThatThrownBy(() -> TestService.call(otherName, TestService.COMPUTE, "x"))
                .isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void expertServerNameIsNotUsedForOtherPeers() throws IOException {
        serverCert = pki.issue("router-by-name", "router.moe.svc");
        int port = start(ClientAuth.NONE, List.of());
        TlsMaterial tls = material(new TlsProperties(null, null, pki.caCertFile(), ClientAuth.NONE, RELOAD,
                "expert.moe.svc"));
        ManagedChannel router = new InternalChannelFactory(tls, Optional.empty()).builder("127.0.0.1:" + port)
                .overrideAuthority("router.moe.svc").build();
        open.add(router::shutdownNow);

        assertThat(TestService.call(router, TestService.COMPUTE, "x")).isEqualTo("computed x");
    }

    @Test
    void expertServerNameBindsFromItsSetting() {
        var source = new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(
                java.util.Map.of("moemesh.tls.ca-file", "/etc/moemesh/tls/ca.crt",
                        "moemesh.tls.expert-server-name", "expert.moe.svc"));

        TlsProperties bound = new org.springframework.boot.context.properties.bind.Binder(source)
                .bindOrCreate("moemesh.tls", TlsProperties.class);

        assertThat(bound.expertServerName()).isEqualTo("expert.moe.svc");
        assertThat(bound.reloadInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(TlsProperties.none().expertServerName()).isNull();
    }

    private ManagedChannel expertChannel(int port, TestPki.Issued clientCert, String expertServerName) {
        TlsMaterial tls = material(new TlsProperties(clientCert.certFile(), clientCert.keyFile(), pki.caCertFile(),
                ClientAuth.NONE, RELOAD, expertServerName));
        ManagedChannel channel = new InternalChannelFactory(tls, Optional.empty()).expertBuilder("127.0.0.1:" + port)
                .build();
        open.add(channel::shutdownNow);
        return channel;
    }

    private int start(ClientAuth clientAuth, List<String> mutatingPeers) throws IOException {
        TlsMaterial tls = material(new TlsProperties(serverCert.certFile(), serverCert.keyFile(), pki.caCertFile(),
                clientAuth, RELOAD));
        GrpcServerFactory factory = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls,
                new AuthProperties(null, true, mutatingPeers), Optional.empty());
        Server server = factory.internalServer("test", 0, 1 << 20, Duration.ofSeconds(1),
                        Set.of(TestService.SET_PARTNER_UNITS.getFullMethodName()))
                .addService(new TestService().definition()).build().start();
        open.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return server.getPort();
    }

    private ManagedChannel channel(int port, Path ca, TestPki.Issued clientCert) {
        TlsProperties tls = clientCert == null ? new TlsProperties(null, null, ca, ClientAuth.NONE, RELOAD)
                : new TlsProperties(clientCert.certFile(), clientCert.keyFile(), ca, ClientAuth.NONE, RELOAD);
        ManagedChannel channel = new InternalChannelFactory(material(tls), Optional.empty())
                .builder("127.0.0.1:" + port).build();
        open.add(channel::shutdownNow);
        return channel;
    }

    private TlsMaterial material(TlsProperties properties) {
        TlsMaterial material = new TlsMaterial(properties);
        open.add(material);
        return material;
    }
}
