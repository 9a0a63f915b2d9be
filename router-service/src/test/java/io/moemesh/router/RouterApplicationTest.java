package io.moemesh.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.GetRoutingStatsRequest;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
import io.moemesh.proto.internal.v1.RefreshExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.RoutingStatsGrpc;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.ListModelsRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.TokenIds;
import io.moemesh.router.discovery.kubernetes.ScriptedApiServer;
import io.moemesh.router.dispatch.TcpExpertServers;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The router application over real sockets: with its experts in process, and with expert endpoints over TCP. */
class RouterApplicationTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");

    private ConfigurableApplicationContext context;
    private ManagedChannel channel;
    /** To the internal port: RoutingStats and ExpertEndpoints. */
    private ManagedChannel internal;
    private TcpExpertServers experts;
    private ScriptedApiServer api;

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
            internal.shutdownNow();
        }
        if (context != null) {
            context.close();
        }
        if (experts != null) {
            experts.close();
        }
        if (api != null) {
            api.close();
        }
    }

    private MoeMeshGrpc.MoeMeshBlockingStub start(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--moemesh.router.model-dir=" + MODEL, "--moemesh.router.grpc-port=0",
                "--moemesh.router.internal-grpc-port=0", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1", "--moemesh.auth.allow-unauthenticated=true"));
        args.addAll(List.of(extraArgs));
        context = SpringApplication.run(RouterApplication.class, args.toArray(String[]::new));
        int port = context.getBean(GrpcServerLifecycle.class).port();
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
        int internalPort = context.getBean("internalGrpcServer", GrpcServerLifecycle.class).port();
        internal = Grpc.newChannelBuilderForAddress("127.0.0.1", internalPort, InsecureChannelCredentials.create())
                .build();
        return MoeMeshGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static List<Integer> generatedIds(Iterator<GenerateResponse> stream) {
        List<Integer> ids = new ArrayList<>();
        GenerateResponse last = null;
        while (stream.hasNext()) {
            last = stream.next();
            if (last.hasChunk()) {
                ids.addAll(last.getChunk().getTokenIdsList());
            }
        }
        assertThat(last).isNotNull();
        assertThat(last.hasCompletion()).isTrue();
        return ids;
    }

    private static GenerateRequest greedy(String prompt, int maxTokens) {
        return GenerateRequest.newBuilder().setPrompt(prompt)
                .setSampling(io.moemesh.proto.v1.SamplingParams.newBuilder().setMaxTokens(maxTokens).setIgnoreEos(true))
                .build();
    }

    private static List<Integer> reference(String prompt, int maxTokens) {
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            int[] ids = engine.generate(prompt, new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true),
                    TokenListener.NONE).tokenIds();
            return java.util.Arrays.stream(ids).boxed().toList();
        }
    }

    @Test
    void servesGenerateOverTcpWithTheInProcessEnginesTokens() {
        var stub = start();

        assertThat(generatedIds(stub.generate(greedy("Hello, world!", 10)))).isEqualTo(reference("Hello, world!", 10));
        assertThat(stub.listModels(ListModelsRequest.getDefaultInstance()).getModels(0).getNumExperts()).isEqualTo(8);
        RoutingStatsSnapshot stats = RoutingStatsGrpc.newBlockingStub(internal)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
        assertThat(stats.hasTraffic()).as("experts in process: nothing crosses the network").isFalse();
    }

    @Test
    void routesThroughExpertEndpointsOverTcpWithIdenticalTokens() throws Exception {
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)));
        var stub = start("--moemesh.router.experts=" + String.join(",", experts.targets()));

        assertThat(generatedIds(stub.generate(greedy("The quick brown fox", 12))))
                .isEqualTo(reference("The quick brown fox", 12));
        RoutingStatsSnapshot stats = RoutingStatsGrpc.newBlockingStub(internal)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance());
        assertThat(stats.getLayersList()).hasSize(2);
        assertThat(stats.getLayers(0).getTokens()).isEqualTo(19 + 11); // prompt tokens, then one per decode step
        // endpoint 0 hosts experts 0-3, endpoint 1 experts 4-7: a token costs a second send when its pair straddles them
        long tokenLayers = stats.getLayersList().stream().mapToLong(LayerRoutingStats::getTokens).sum();
        long straddling = 0;
        for (LayerRoutingStats layer : stats.getLayersList()) {
            for (int i = 0; i < 4; i++) {
                for (int j = 4; j < 8; j++) {
                    straddling += layer.getCoactivation(i * 8 + j);
                }
            }
        }
        long rowBytes = 4L * ModelConfig.load(MODEL).hiddenSize(); // F32 rows both ways
        DispatchTraffic traffic = stats.getTraffic();
        assertThat(traffic.getTokenLayers()).isEqualTo(tokenLayers);
        assertThat(traffic.getTokenSends()).isEqualTo(tokenLayers + straddling);
        assertThat(traffic.getExpertCalls()).isPositive().isLessThanOrEqualTo(traffic.getTokenSends());
        assertThat(traffic.getBytesSent()).isEqualTo(traffic.getTokenSends() * rowBytes);
        assertThat(traffic.getBytesReceived()).isEqualTo(traffic.getTokenSends() * rowBytes);
    }

    /**
     * Static targets here, pod IPs from EndpointSlices on Kubernetes: addresses no certificate names.
     * The experts' certificate names only {@code expert.moe.svc}, which the router verifies instead.
     */
    @Test
    void reachesTlsExpertsByAddressVerifyingTheExpertServerName(@TempDir Path pkiDir) throws Exception {
        TestPki pki = TestPki.create(pkiDir);
        TestPki.Issued expertCert = pki.issue("expert", "expert.moe.svc");
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)),
                TlsServerCredentials.create(expertCert.certFile().toFile(), expertCert.keyFile().toFile()));
        var stub = start("--moemesh.router.experts=" + String.join(",", experts.targets()),
                "--moemesh.tls.ca-file=" + pki.caCertFile(), "--moemesh.tls.expert-server-name=expert.moe.svc");

        assertThat(generatedIds(stub.generate(greedy("The quick brown fox", 6))))
                .isEqualTo(reference("The quick brown fox", 6));
        assertThat(RoutingStatsGrpc.newBlockingStub(internal).getRoutingStats(GetRoutingStatsRequest.getDefaultInstance())
                .getTraffic().getExpertCalls()).as("the experts were called over TLS, not served in process").isPositive();
    }

    @Test
    void servesItsExpertEndpointsAndWhatEachHostsOverTcp() throws Exception {
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)));
        start("--moemesh.router.experts=" + String.join(",", experts.targets()));
        var endpoints = ExpertEndpointsGrpc.newBlockingStub(internal).withDeadlineAfter(30, TimeUnit.SECONDS);

        ExpertEndpointsState state = endpoints.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());
        ExpertEndpointsState refreshed = endpoints.refreshExpertEndpoints(
                RefreshExpertEndpointsRequest.getDefaultInstance());

        assertThat(state.getTopologyVersion()).isZero();
        assertThat(state.getEndpointsList()).extracting(ExpertEndpointState::getTarget)
                .containsExactlyElementsOf(experts.targets());
        assertThat(state.getEndpointsList()).allSatisfy(e -> {
            assertThat(e.getAccepting()).isTrue();
            assertThat(e.getDescription().getUnitsCount()).isEqualTo(2 * 4); // 2 layers x 4 experts
        });
        assertThat(refreshed).as("nothing changed: same version, same descriptions").isEqualTo(state);
    }

    /** An EndpointSlice of an expert Service whose one ready pod is {@code target} ("127.0.0.1:port"). */
    private static String sliceOf(String service, String pod, String target) {
        String[] hostPort = target.split(":");
        return ScriptedApiServer.slice(service, "101", Integer.parseInt(hostPort[1]),
                ScriptedApiServer.endpoint(pod, hostPort[0], true));
    }

    @Test
    void startsWithoutReadyExpertsOnKubernetesAndRoutesToThemOnceTheirEndpointSlicesAppear() throws Exception {
        experts = TcpExpertServers.start(MODEL, List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)));
        api = new ScriptedApiServer();
        api.list("100"); // the expert pods are not ready yet
        var stub = start("--moemesh.router.discovery=kubernetes", "--moemesh.router.kubernetes.namespace=moe",
                "--moemesh.router.kubernetes.api-url=" + api.url());
        var endpoints = ExpertEndpointsGrpc.newBlockingStub(internal).withDeadlineAfter(30, TimeUnit.SECONDS);

        assertThat(endpoints.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsCount())
                .isZero();
        assertThatThrownBy(() -> generatedIds(stub.generate(greedy("The quick brown fox", 2))))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("no expert is available");

        api.watch(ScriptedApiServer.event("ADDED", sliceOf("expert-a", "expert-a-7f9c-x1", experts.targets().get(0))),
                ScriptedApiServer.event("ADDED", sliceOf("expert-b", "expert-b-7f9c-y2", experts.targets().get(1))));
        await().atMost(Duration.ofSeconds(30)).until(() -> endpoints.getExpertEndpoints(
                GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsCount() == 2);

        ExpertEndpointsState state = endpoints.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());
        assertThat(state.getEndpointsList()).extracting(ExpertEndpointState::getTarget)
                .containsExactlyElementsOf(experts.targets());
        assertThat(state.getEndpointsList()).allSatisfy(e -> assertThat(e.getDescription().getUnitsCount()).isEqualTo(8));
        assertThat(generatedIds(stub.generate(greedy("The quick brown fox", 12))))
                .isEqualTo(reference("The quick brown fox", 12));
    }

    @Test
    void healthStaysNotServingUntilTheFirstExpertDiscoveryHasBeenApplied() {
        api = new ScriptedApiServer();
        api.refuseList(503, "ServiceUnavailable", "the API server is starting");
        start("--moemesh.router.discovery=kubernetes", "--moemesh.router.kubernetes.namespace=moe",
                "--moemesh.router.kubernetes.api-url=" + api.url());
        var health = io.grpc.health.v1.HealthGrpc.newBlockingStub(channel);
        var check = io.grpc.health.v1.HealthCheckRequest.getDefaultInstance();
        await().atMost(Duration.ofSeconds(30)).until(() -> api.lists().size() >= 2); // refused, and tried again

        var beforeDiscovery = health.withDeadlineAfter(5, TimeUnit.SECONDS).check(check).getStatus();
        api.list("100"); // no expert pod is ready yet: an empty set is still a completed discovery

        assertThat(beforeDiscovery).isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING);
        await().atMost(Duration.ofSeconds(30)).until(() -> health.withDeadlineAfter(5, TimeUnit.SECONDS).check(check)
                .getStatus() == io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }

    @Test
    void answersExpertEndpointsWithFailedPreconditionWhenTheExpertsRunInProcess() {
        start();
        var endpoints = ExpertEndpointsGrpc.newBlockingStub(internal).withDeadlineAfter(30, TimeUnit.SECONDS);

        assertStatus(() -> endpoints.getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, "runs its experts in process");
        assertStatus(() -> endpoints.refreshExpertEndpoints(RefreshExpertEndpointsRequest.getDefaultInstance()),
                Status.Code.FAILED_PRECONDITION, "runs its experts in process");
    }

    @Test
    void rejectsBadRequestsWithInvalidArgumentAndKeepsServing() {
        var stub = start();

        assertStatus(() -> generatedIds(stub.generate(GenerateRequest.newBuilder().setPrompt("").build())),
                Status.Code.INVALID_ARGUMENT, "prompt is empty");
        assertStatus(() -> generatedIds(stub.generate(GenerateRequest.newBuilder()
                        .setPromptIds(TokenIds.newBuilder().addIds(5).addIds(9999)).build())),
                Status.Code.INVALID_ARGUMENT, "prompt_ids[1] = 9999 is outside the vocabulary");
        assertStatus(() -> generatedIds(stub.generate(greedy("x", 4).toBuilder()
                        .setSampling(io.moemesh.proto.v1.SamplingParams.newBuilder().setTopP(1.5f)).build())),
                Status.Code.INVALID_ARGUMENT, "sampling.top_p must be in [0, 1]");
        assertStatus(() -> generatedIds(stub.generate(greedy("x", 4).toBuilder().setModel("gpt-5").build())),
                Status.Code.NOT_FOUND, "model 'gpt-5' is not served here");

        assertThat(generatedIds(stub.generate(greedy("still up", 3)))).hasSize(3);
    }

    @Test
    void servesInternalServicesOnlyOnTheInternalPort() {
        var stub = start();

        assertThat(stub.listModels(ListModelsRequest.getDefaultInstance()).getModelsCount()).isEqualTo(1);
        assertStatus(() -> RoutingStatsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance()), Status.Code.UNIMPLEMENTED, "");
        assertStatus(() -> MoeMeshGrpc.newBlockingStub(internal).withDeadlineAfter(10, TimeUnit.SECONDS)
                .listModels(ListModelsRequest.getDefaultInstance()), Status.Code.UNIMPLEMENTED, "");
        assertThat(RoutingStatsGrpc.newBlockingStub(internal).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getRoutingStats(GetRoutingStatsRequest.getDefaultInstance()).getLayersCount()).isEqualTo(2);
    }

    @Test
    void refusesToStartWithoutInternalAuthentication() {
        assertThatThrownBy(() -> SpringApplication.run(RouterApplication.class, "--moemesh.router.model-dir=" + MODEL,
                "--moemesh.router.grpc-port=0", "--moemesh.router.internal-grpc-port=0", "--server.port=0",
                "--moemesh.transport.bind-address=127.0.0.1"))
                .rootCause().hasMessageContainingAll("router refuses to start", "moemesh.auth.internal-token-file",
                        "moemesh.tls.client-auth=require", "moemesh.auth.allow-unauthenticated=true");
    }

    private static void assertStatus(Runnable call, Status.Code code, String description) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(description);
        });
    }
}
