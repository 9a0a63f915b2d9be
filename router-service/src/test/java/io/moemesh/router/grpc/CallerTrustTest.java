package io.moemesh.router.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.ListModelsResponse;
import io.moemesh.proto.v1.ModelInfo;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.service.transport.AuthProperties;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.InternalToken;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TlsProperties;
import io.moemesh.service.transport.TransportProperties;
import io.moemesh.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whose {@code moemesh-caller} header the router believes, on a server made as RouterConfiguration
 * makes the public one (GrpcServerFactory's internal server, the service wrapped in
 * {@link CallerInterceptor#forServer}) over a real socket: the service here answers ListModels with
 * the caller the scheduler would queue the call under.
 */
class CallerTrustTest {

    private static final String TOKEN = "t".repeat(40);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void aCallerWithTheInternalTokenIsBelievedAboutWhoItServes() throws IOException {
        Optional<InternalToken> token = Optional.of(tokenFile());
        int port = start(TlsProperties.none(), AuthProperties.of(dir.resolve("token"), false), token);

        assertThat(callerSeen(new InternalChannelFactory(material(TlsProperties.none()), token), port, "fp-a"))
                .isEqualTo("caller fp-a");
    }

    @Test
    void aCallerWithACertificateOfTheMeshCaIsBelievedAboutWhoItServes() throws IOException {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TestPki.Issued server = pki.issue("router", "localhost", "127.0.0.1");
        TestPki.Issued gateway = pki.issue("gateway", "gateway.moe.svc");
        int port = start(new TlsProperties(server.certFile(), server.keyFile(), pki.caCertFile(),
                TlsProperties.ClientAuth.REQUIRE, Duration.ofMinutes(1), null), AuthProperties.of(null, false),
                Optional.empty());
        InternalChannelFactory channels = new InternalChannelFactory(material(new TlsProperties(gateway.certFile(),
                gateway.keyFile(), pki.caCertFile(), TlsProperties.ClientAuth.NONE, Duration.ofMinutes(1), null)),
                Optional.empty());

        assertThat(callerSeen(channels, port, "fp-a")).isEqualTo("caller fp-a");
    }

    /** The token interceptor refuses the call before the header is looked at. */
    @Test
    void aCallerWithoutTheTokenNeverGetsItsHeaderRead() throws IOException {
        int port = start(TlsProperties.none(), AuthProperties.of(dir.resolve("token"), false),
                Optional.of(tokenFile()));

        assertThatThrownBy(() -> callerSeen(InternalChannelFactory.plaintext(), port, "fp-a"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void withoutInternalAuthenticationTheHeaderIsTakenFromAnyone() throws IOException {
        int port = start(TlsProperties.none(), AuthProperties.of(null, true), Optional.empty());

        assertThat(callerSeen(InternalChannelFactory.plaintext(), port, "fp-a")).isEqualTo("caller fp-a");
        assertThat(callerSeen(InternalChannelFactory.plaintext(), port, null)).isEqualTo("peer 127.0.0.1");
    }

    /** A server that authenticates nobody behind an interceptor that expects it to: the header is not believed. */
    @Test
    void anUnauthenticatedHeaderIsIgnoredWhereAuthenticationIsExpected() throws IOException {
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(new CallerEcho(),
                        CallerInterceptor.trustingAuthenticatedCallers()))
                .build().start();
        open.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

        assertThat(callerSeen(InternalChannelFactory.plaintext(), server.getPort(), "fp-a"))
                .isEqualTo("peer 127.0.0.1");
    }

    private int start(TlsProperties tls, AuthProperties auth, Optional<InternalToken> token) throws IOException {
        GrpcServerFactory servers = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), material(tls),
                auth, token);
        Server server = servers.internalServer("router", 0, 1 << 20, Duration.ofSeconds(1), Set.of())
                .addService(ServerInterceptors.intercept(new CallerEcho(), CallerInterceptor.forServer(servers)))
                .build().start();
        open.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return server.getPort();
    }

    private String callerSeen(InternalChannelFactory channels, int port, String header) {
        ManagedChannel channel = channels.builder("127.0.0.1:" + port).build();
        open.add(channel::shutdownNow);
        Metadata headers = new Metadata();
        if (header != null) {
            headers.put(CallerInterceptor.CALLER_HEADER, header);
        }
        return MoeMeshGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
                        MetadataUtils.newAttachHeadersInterceptor(headers)))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .listModels(ListModelsRequest.getDefaultInstance()).getModels(0).getName();
    }

    private InternalToken tokenFile() throws IOException {
        return InternalToken.fromFile(Files.writeString(dir.resolve("token"), TOKEN));
    }

    private TlsMaterial material(TlsProperties properties) {
        TlsMaterial material = new TlsMaterial(properties);
        open.add(material);
        return material;
    }

    /** Answers ListModels with the caller the router's queue would count the call under. */
    private static final class CallerEcho extends MoeMeshGrpc.MoeMeshImplBase {

        @Override
        public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
            response.onNext(ListModelsResponse.newBuilder()
                    .addModels(ModelInfo.newBuilder().setName(CallerInterceptor.caller())).build());
            response.onCompleted();
        }
    }
}
