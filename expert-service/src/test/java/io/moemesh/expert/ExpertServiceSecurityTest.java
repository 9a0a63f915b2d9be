package io.moemesh.expert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.expert.grpc.ComputeRequests;
import io.moemesh.expert.grpc.TestRoute;
import io.moemesh.proto.internal.v1.DType;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.SetPartnerUnitsRequest;
import io.moemesh.proto.internal.v1.Unit;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.InternalToken;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TlsProperties;
import io.moemesh.testing.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The expert application with its internal callers authenticated: the internal token, and mTLS with identities. */
class ExpertServiceSecurityTest {

    private static final Pattern TOKENS_TOTAL = Pattern.compile("moemesh_expert_tokens_total\\{[^}]*} ([0-9.E]+)");

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
    void loopbackWarmupSendsTheTokenAndCallersWithoutItAreUnauthenticated() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "sV9nq2LbX7rTe4WmK0pYc8HdJ3fGu6Az");
        ConfigurableApplicationContext context = start("--moemesh.auth.internal-token-file=" + token);
        ManagedChannel plaintext = Grpc.newChannelBuilderForAddress("127.0.0.1", grpcPort(context),
                InsecureChannelCredentials.create()).build();
        open.add(plaintext::shutdownNow);

        assertThat(warmupTokens(context)).as("the loopback warm-up's Compute calls were accepted").isPositive();
        assertThatThrownBy(() -> ExpertGrpc.newBlockingStub(plaintext).withDeadlineAfter(Duration.ofSeconds(5))
                .describe(DescribeRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(HealthGrpc.newBlockingStub(plaintext).withDeadlineAfter(Duration.ofSeconds(5))
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
        ManagedChannel withToken = new InternalChannelFactory(material(TlsProperties.none()),
                Optional.of(InternalToken.fromFile(token))).builder("127.0.0.1:" + grpcPort(context)).build();
        open.add(withToken::shutdownNow);
        assertThat(ExpertGrpc.newBlockingStub(withToken).withDeadlineAfter(Duration.ofSeconds(5))
                .describe(DescribeRequest.getDefaultInstance()).getService()).isEqualTo(3);
    }

    @Test
    void underMutualTlsOnlyTheControllerMayChangePartnerUnits() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TestPki.Issued expert = pki.issue("expert-3", "localhost", "127.0.0.1");
        ConfigurableApplicationContext context = start("--moemesh.tls.cert-file=" + expert.certFile(),
                "--moemesh.tls.key-file=" + expert.keyFile(), "--moemesh.tls.ca-file=" + pki.caCertFile(),
                "--moemesh.tls.client-auth=require", "--moemesh.auth.mutating-peers=controller.moe",
                "--moemesh.transport.health-port=0");
        ExpertGrpc.ExpertBlockingStub router = stub(pki, pki.issue("router", "router.moe"), grpcPort(context));
        ExpertGrpc.ExpertBlockingStub controller = stub(pki, pki.issue("controller", "controller.moe"),
                grpcPort(context));
        SetPartnerUnitsRequest partners = SetPartnerUnitsRequest.newBuilder().addPartnerUnits(unit(1, 7)).build();

        assertThat(warmupTokens(context)).as("the loopback warm-up passed mTLS").isPositive();
        TestRoute[] routes = {TestRoute.of(3, 1f)};
        assertThat(router.withDeadlineAfter(Duration.ofSeconds(5)).compute(ComputeRequests.request(1,
                ComputeRequests.gaussianRows(1, 7), DType.DTYPE_F32, routes)).hasOutput()).isTrue();
        assertThatThrownBy(() -> router.withDeadlineAfter(Duration.ofSeconds(5)).setPartnerUnits(partners))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("'router.moe'");
                });
        assertThat(controller.withDeadlineAfter(Duration.ofSeconds(30)).setPartnerUnits(partners)
                .getPartnerUnitsList()).containsExactly(unit(1, 7));
        ManagedChannel probe = Grpc.newChannelBuilderForAddress("127.0.0.1",
                context.getBean(GrpcServerLifecycle.class).healthPort(), InsecureChannelCredentials.create()).build();
        open.add(probe::shutdownNow);
        assertThat(HealthGrpc.newBlockingStub(probe).withDeadlineAfter(Duration.ofSeconds(5))
                .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .as("a kubelet grpc probe (no TLS) on moemesh.transport.health-port").isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void inboundLimitIsSizedFromTheModelAndTheRoutersLargestStep() {
        ModelConfig tiny = ModelConfig.load(TinyModel.dir());

        int limit = ExpertServiceConfiguration.maxComputeRequestBytes(tiny, 256);

        int stepTokens = 2048 + 256; // router's default prefill budget (the context is 512) + decode tokens
        assertThat(limit).isGreaterThan(stepTokens * TinyModel.HIDDEN * Float.BYTES)
                .isLessThan(2 << 20);
        assertThat(ExpertServiceConfiguration.maxComputeRequestBytes(tiny, 100_000))
                .as("a batch larger than the router's step").isGreaterThan(100_000 * TinyModel.HIDDEN * Float.BYTES);
    }

    private ConfigurableApplicationContext start(String... security) {
        List<String> args = new ArrayList<>(List.of("--moemesh.expert.model-dir=" + TinyModel.dir(),
                "--moemesh.expert.experts=3", "--moemesh.expert.grpc-port=0", "--moemesh.expert.workers=1",
                "--moemesh.expert.loopback-warmup=300ms", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1"));
        args.addAll(List.of(security));
        ConfigurableApplicationContext context = SpringApplication.run(ExpertServiceApplication.class,
                args.toArray(String[]::new));
        open.add(context::close);
        return context;
    }

    private ExpertGrpc.ExpertBlockingStub stub(TestPki pki, TestPki.Issued client, int port) {
        TlsMaterial tls = material(new TlsProperties(client.certFile(), client.keyFile(), pki.caCertFile(),
                TlsProperties.ClientAuth.NONE, Duration.ofMinutes(1)));
        ManagedChannel channel = new InternalChannelFactory(tls, Optional.empty()).builder("127.0.0.1:" + port)
                .build();
        open.add(channel::shutdownNow);
        return ExpertGrpc.newBlockingStub(channel);
    }

    private TlsMaterial material(TlsProperties properties) {
        TlsMaterial material = new TlsMaterial(properties);
        open.add(material);
        return material;
    }

    private static int grpcPort(ConfigurableApplicationContext context) {
        return context.getBean(GrpcServerLifecycle.class).port();
    }

    /** Tokens the expert computed so far (all of them warm-up calls before a test's own). */
    private static double warmupTokens(ConfigurableApplicationContext context) throws Exception {
        String httpPort = context.getEnvironment().getProperty("local.server.port");
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = TOKENS_TOTAL.matcher(body);
            double total = 0;
            while (m.find()) {
                total += Double.parseDouble(m.group(1));
            }
            return total;
        }
    }

    private static Unit unit(int layer, int expert) {
        return Unit.newBuilder().setLayer(layer).setExpert(expert).build();
    }
}
