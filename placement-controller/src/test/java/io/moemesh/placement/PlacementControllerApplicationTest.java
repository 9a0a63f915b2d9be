package io.moemesh.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.moemesh.placement.grpc.ExpertClient;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.testing.TestPki;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The controller application's start-up: where it binds, when it refuses to start, how it calls experts. */
class PlacementControllerApplicationTest {

    private static final String[] BASE = {"--moemesh.controller.routers=127.0.0.1:1",
        "--moemesh.controller.initial-delay=1h", "--moemesh.controller.grpc-port=0", "--server.port=0",
        "--moemesh.transport.bind-address=127.0.0.1"};

    @Test
    void bindsGrpcAndHttpToTheBindAddress() throws Exception {
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                with("--moemesh.auth.allow-unauthenticated=true"))) {
            int grpc = context.getBean(GrpcServerLifecycle.class).port();
            int http = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));

            assertThat(context.getEnvironment().getProperty("server.address")).isEqualTo("127.0.0.1");
            for (int port : new int[] {grpc, http}) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    assertThat(socket.isConnected()).isTrue();
                }
            }
        }
    }

    /** Unset, servers listen on the wildcard of every address family: IPv6-only clusters reach them too. */
    @ParameterizedTest
    @ValueSource(strings = {"", "--moemesh.transport.bind-address=", "--moemesh.transport.bind-address= "})
    void bindsEveryAddressFamilyWithoutABindAddress(String bindAddress) throws Exception {
        assumeTrue(hasIpv6Loopback(), "this machine has no IPv6 loopback");
        List<String> args = new ArrayList<>(List.of(BASE).subList(0, BASE.length - 1));
        args.add("--moemesh.auth.allow-unauthenticated=true");
        if (!bindAddress.isEmpty()) {
            args.add(bindAddress);
        }
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                args.toArray(String[]::new))) {
            int grpc = context.getBean(GrpcServerLifecycle.class).port();
            int http = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));

            for (int port : new int[] {grpc, http}) {
                for (String loopback : new String[] {"127.0.0.1", "::1"}) {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(loopback, port), 2000);
                        assertThat(socket.isConnected()).as("%s port %d", loopback, port).isTrue();
                    }
                }
            }
        }
    }

    private static boolean hasIpv6Loopback() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.bind(new InetSocketAddress("::1", 0));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void refusesToStartWithoutInternalAuthentication() {
        assertThatThrownBy(() -> SpringApplication.run(PlacementControllerApplication.class, BASE).close())
                .rootCause().hasMessageContainingAll("placement-controller refuses to start",
                        "moemesh.auth.internal-token-file", "moemesh.tls.client-auth=require",
                        "moemesh.auth.allow-unauthenticated=true");
    }

    /** Experts are called at the addresses routers report (pod IPs): their certificate names only expert.moe.svc. */
    @Test
    void callsExpertsByAddressVerifyingTheExpertServerName(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Issued cert = pki.issue("expert", "expert.moe.svc");
        Server expert = Grpc.newServerBuilderForPort(0, TlsServerCredentials.create(cert.certFile().toFile(),
                cert.keyFile().toFile())).addService(new DescribingExpert()).build().start();
        String target = "127.0.0.1:" + expert.getPort();
        try (ConfigurableApplicationContext context = SpringApplication.run(PlacementControllerApplication.class,
                with("--moemesh.auth.allow-unauthenticated=true", "--moemesh.tls.ca-file=" + pki.caCertFile(),
                        "--moemesh.tls.expert-server-name=expert.moe.svc"))) {

            assertThat(context.getBean(ExpertClient.class).describe(target).hiddenSize()).isEqualTo(192);
        } finally {
            expert.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static final class DescribingExpert extends ExpertGrpc.ExpertImplBase {

        @Override
        public void describe(DescribeRequest request, StreamObserver<DescribeResponse> response) {
            response.onNext(DescribeResponse.newBuilder().setModel("tiny-random").setHiddenSize(192).build());
            response.onCompleted();
        }
    }

    private static String[] with(String... more) {
        String[] args = java.util.Arrays.copyOf(BASE, BASE.length + more.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }
}
