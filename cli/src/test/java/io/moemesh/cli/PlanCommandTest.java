package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.internal.v1.GetPlacementRequest;
import io.moemesh.proto.internal.v1.PlacementControllerGrpc;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code moe plan --controller} against a controller that requires internal authentication, as a cluster's does. */
class PlanCommandTest {

    private static final String TOKEN = "internal-token-0123456789abcdef0123";

    @TempDir
    Path dir;
    private final List<Metadata> headers = new CopyOnWriteArrayList<>();
    private Server controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.shutdownNow();
        }
    }

    @Test
    void sendsTheInternalTokenFromItsFile() throws IOException {
        start(InsecureServerCredentials.create(), requiringToken());
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("plan", "--controller", "127.0.0.1:" + controller.getPort(),
                "--internal-token-file", tokenFile.toString());

        assertThat(run.code()).isZero();
        assertThat(headers.getFirst().get(InternalCallOptions.AUTHORIZATION)).isEqualTo("Bearer " + TOKEN);
        assertThat(run.out()).contains("placement controller 127.0.0.1:" + controller.getPort() + ": 3 plans applied");
    }

    @Test
    void withoutTheTokenSaysWhereToGetIt() throws IOException {
        start(InsecureServerCredentials.create(), requiringToken());

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("plan", "--controller", "127.0.0.1:" + controller.getPort());

        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains("UNAUTHENTICATED").contains("--internal-token-file FILE")
                .contains("security.internalToken.existingSecret");
        assertThat(headers.getFirst().containsKey(InternalCallOptions.AUTHORIZATION)).isFalse();
    }

    @Test
    void speaksMutualTlsWithTheMeshCaAndAClientCertificate() throws IOException {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TestPki.Issued server = pki.issue("controller", "moe-mesh-placement-controller");
        TestPki.Issued admin = pki.issue("admin", "admin");
        start(TlsServerCredentials.newBuilder().keyManager(server.certFile().toFile(), server.keyFile().toFile())
                .trustManager(pki.caCertFile().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build(),
                recording());

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("plan", "--controller", "localhost:" + controller.getPort(),
                "--ca-cert", pki.caCertFile().toString(), "--server-name", "moe-mesh-placement-controller",
                "--client-cert", admin.certFile().toString(), "--client-key", admin.keyFile().toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("3 plans applied");
    }

    @Test
    void serverNameWithoutTlsIsRefused() throws IOException {
        start(InsecureServerCredentials.create(), recording());

        GatewayGenerateTest.Run run = GatewayGenerateTest.run("plan", "--controller", "127.0.0.1:" + controller.getPort(),
                "--server-name", "localhost");

        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains("--server-name needs TLS");
        assertThat(headers).isEmpty();
    }

    private void start(ServerCredentials credentials, ServerInterceptor interceptor) throws IOException {
        controller = Grpc.newServerBuilderForPort(0, credentials).intercept(interceptor)
                .addService(new PlacementControllerGrpc.PlacementControllerImplBase() {
                    @Override
                    public void getPlacement(GetPlacementRequest request, StreamObserver<PlacementStatus> response) {
                        response.onNext(PlacementStatus.newBuilder().setPlansApplied(3).build());
                        response.onCompleted();
                    }
                }).build().start();
    }

    private ServerInterceptor recording() {
        return GatewayGenerateTest.recordingHeaders(headers);
    }

    /** Like the internal services' token check: UNAUTHENTICATED without {@code Bearer <token>}. */
    private ServerInterceptor requiringToken() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
                    ServerCallHandler<Q, R> next) {
                headers.add(metadata);
                if (!("Bearer " + TOKEN).equals(metadata.get(InternalCallOptions.AUTHORIZATION))) {
                    call.close(Status.UNAUTHENTICATED.withDescription("missing or wrong internal token"), new Metadata());
                    return new ServerCall.Listener<>() {
                    };
                }
                return next.startCall(call, metadata);
            }
        };
    }
}
