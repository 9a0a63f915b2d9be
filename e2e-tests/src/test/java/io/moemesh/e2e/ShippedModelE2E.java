package io.moemesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.InvalidRequestException;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.UnauthenticatedException;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.GetPlacementRequest;
import io.moemesh.proto.internal.v1.PlacementControllerGrpc;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.TokenIds;
import io.moemesh.testing.InProcessReference;
import io.moemesh.testing.Load;
import io.moemesh.testing.RouterTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.GenericContainer;

/**
 * The shipped default model as a deployment runs it: one container per expert (16 for mesh-mini-16e),
 * a router, a gateway that requires API keys, and later the placement controller. In order: PyTorch's
 * greedy tokens through the containers; concurrent streams equal to the in-process engine; the
 * gateway's documented refusals; placement converging on real traffic, cutting remote calls per
 * token, without a failed request during the switch.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShippedModelE2E {

    private static final Path MODEL = Golden.model("mesh-mini-16e");
    private static final int EXPERTS = 16;
    /** API keys are at least 32 characters. */
    private static final String KEY = "e2e-key-0123456789abcdef0123456789abcdef";
    private static final String BURST_KEY = "e2e-burst-key-0123456789abcdef0123456789";
    private static final List<String> PROMPTS = List.of("The best way to predict the future is ", "Der Mensch ist ",
            "La vie est ", "Życie jest ", "Жизнь — это ", "Once upon a time, ");
    private static final List<String> SAMPLED = PROMPTS.subList(0, 2);
    private static final int MAX_TOKENS = 24;

    private MeshSecrets secrets;
    private Mesh mesh;
    private GenericContainer<?> router;
    private GenericContainer<?> gateway;
    private GatewayAccess access;
    private MoeMeshClient client;
    private ManagedChannel routerChannel;
    private ManagedChannel gatewayChannel;
    private Map<String, List<Integer>> expected;

    @BeforeAll
    void startMesh() {
        expected = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        // deployed as the chart deploys it: internal token, the gateway's keys from a file, TLS to the gateway
        secrets = MeshSecrets.create(List.of(KEY));
        mesh = new Mesh("shipped-model", MODEL, secrets);
        List<String> aliases = IntStream.range(0, EXPERTS).mapToObj(e -> "expert-" + e).toList();
        mesh.start(aliases.stream().map(a -> mesh.expert(a, a.substring("expert-".length()))).toList());
        router = mesh.router("router", aliases);
        // rate and token limits raised so that the load streams never meet them; a second gateway below keeps
        // the default rate
        gateway = mesh.gateway("gateway", "router", "--moemesh.gateway.rate-limit.limit-for-period=100000",
                "--moemesh.gateway.caller-limits.tokens-per-minute=100000000");
        mesh.start(router, gateway);
        access = GatewayAccess.of(gateway, KEY).withTls(secrets.caFile());
        client = access.client().defaultDeadline(Duration.ofMinutes(2)).build();
        routerChannel = mesh.internalChannel(Mesh.internalTarget(router));
        gatewayChannel = access.channel();
    }

    @AfterAll
    void stopMesh() {
        try {
            if (client != null) {
                client.close();
                routerChannel.shutdownNow();
                gatewayChannel.shutdownNow();
            }
        } finally {
            if (mesh != null) {
                mesh.close();
            }
        }
    }

    @Test
    @Order(1)
    void everyGoldenPromptGivesPyTorchsGreedyTokensThroughTheContainers() {
        List<Golden.Case> cases = Golden.cases(MODEL);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(4);
        DispatchTraffic before = RouterTraffic.read(routerChannel);
        for (Golden.Case c : cases) {
            GenerationResult r = client.generate(GenerateOptions.builder().promptIds(c.inputIds())
                    .maxTokens(c.greedy().size()).ignoreEos(true).build());
            assertThat(r.tokenIds()).as(c.prompt()).isEqualTo(c.greedy());
            assertThat(r.degraded()).isFalse();
        }
        // the router sent the expert work to the expert containers: one per expert, so two sends per token and layer
        DispatchTraffic after = RouterTraffic.read(routerChannel);
        assertThat(after.getTokenSends() - before.getTokenSends())
                .isEqualTo(2 * (after.getTokenLayers() - before.getTokenLayers())).isPositive();
        assertThat(after.getFailedCalls()).isEqualTo(before.getFailedCalls());
    }

    @Test
    @Order(2)
    void concurrentStreamsGetTheInProcessEnginesTokensGreedyAndSeededSampling() {
        SamplingParams sampled = new SamplingParams(0.8f, 40, 0.95f, 1234, MAX_TOKENS, List.of(), true);
        Map<String, List<Integer>> expectedSampled = InProcessReference.generate(MODEL, SAMPLED, sampled);
        ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size() + 2);
        try {
            List<CompletableFuture<GenerationResult>> greedy = PROMPTS.stream().map(p -> CompletableFuture.supplyAsync(
                    () -> client.generate(GenerateOptions.builder().prompt(p).maxTokens(MAX_TOKENS).ignoreEos(true)
                            .build()), pool)).toList();
            List<CompletableFuture<GenerationResult>> seeded = SAMPLED.stream()
                    .map(p -> CompletableFuture.supplyAsync(() -> client.generate(GenerateOptions.builder().prompt(p)
                            .temperature(0.8f).topK(40).topP(0.95f).seed(1234).maxTokens(MAX_TOKENS).ignoreEos(true)
                            .build()), pool)).toList();
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationResult r = greedy.get(i).join();
                assertThat(r.tokenIds()).as(PROMPTS.get(i)).isEqualTo(expected.get(PROMPTS.get(i)));
                assertThat(r.degraded()).isFalse();
            }
            for (int i = 0; i < SAMPLED.size(); i++) {
                GenerationResult r = seeded.get(i).join();
                assertThat(r.tokenIds()).as("seeded " + SAMPLED.get(i)).isEqualTo(expectedSampled.get(SAMPLED.get(i)));
                assertThat(r.degraded()).isFalse();
            }
            // sampling did sample: the seeded continuation differs from the greedy one somewhere
            assertThat(SAMPLED).anySatisfy(p -> assertThat(expectedSampled.get(p)).isNotEqualTo(expected.get(p)));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(3)
    void theGatewayRefusesMissingAndWrongKeysAndInvalidFieldsWithTheDocumentedStatuses() {
        try (MoeMeshClient noKey = access.withKey(null).client().build();
                MoeMeshClient wrongKey = access.withKey("not-a-key").client().build()) {
            for (MoeMeshClient c : List.of(noKey, wrongKey)) {
                assertThatThrownBy(() -> c.generate(GenerateOptions.builder().prompt("Hello").maxTokens(4).build()))
                        .isInstanceOf(UnauthenticatedException.class)
                        .hasMessageContaining("missing or invalid API key");
            }
        }
        // the SDK's exception for a refused field
        assertThatThrownBy(() -> client.generate(GenerateOptions.builder().prompt("Hello").maxTokens(5000).build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("sampling.max_tokens");

        // fields the SDK would not send, straight on the wire
        Function<GenerateRequest.Builder, Status> send = request -> statusOf(gatewayChannel, access.credentials(), request.build());
        io.moemesh.proto.v1.SamplingParams ok = io.moemesh.proto.v1.SamplingParams.newBuilder().setMaxTokens(4).build();
        assertRefused(send.apply(GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(ok.toBuilder().setTopP(1.5f))), "sampling.top_p must be in [0, 1]");
        assertRefused(send.apply(GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(ok.toBuilder().setTemperature(-1f))), "sampling.temperature");
        assertRefused(send.apply(GenerateRequest.newBuilder().setSampling(ok)), "prompt is empty");
        assertRefused(send.apply(GenerateRequest.newBuilder().setPromptIds(TokenIds.newBuilder().addIds(-3))
                .setSampling(ok)), "prompt_ids[0] is -3");
        assertRefused(send.apply(GenerateRequest.newBuilder().setPrompt("Hello").setRequestId("has spaces")
                .setSampling(ok)), "request_id");
        assertRefused(send.apply(GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(ok.toBuilder().addStop(""))), "sampling.stop[0]");

        // nothing was lost: the next valid request is served exactly
        GenerationResult r = client.generate(GenerateOptions.builder().prompt(PROMPTS.getFirst()).maxTokens(MAX_TOKENS)
                .ignoreEos(true).build());
        assertThat(r.tokenIds()).isEqualTo(expected.get(PROMPTS.getFirst()));
    }

    @Test
    @Order(4)
    void aKeyOverItsRateIsRefusedWithResourceExhaustedAndTheRequestsItMayMakeComplete() {
        // a second gateway on the same router, with the default limit: 20 requests per second per key (the
        // concurrency cap raised above the 60 calls, so that only the rate refuses them)
        GenericContainer<?> strict = mesh.gateway("gateway-default-limits", "router",
                "--moemesh.gateway.api-keys=" + BURST_KEY,
                "--moemesh.gateway.caller-limits.max-concurrent-requests=100");
        mesh.start(strict);
        GatewayAccess strictAccess = GatewayAccess.of(strict, BURST_KEY).withTls(secrets.caFile());
        ManagedChannel channel = strictAccess.channel();
        GenerateRequest tiny = GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(io.moemesh.proto.v1.SamplingParams.newBuilder().setMaxTokens(1)).build();
        ExecutorService pool = Executors.newFixedThreadPool(60);
        List<Status> statuses = new ArrayList<>();
        try {
            // 60 at once against 20 per second: unless they straddle two refreshes, at least 20 are refused
            List<CompletableFuture<Status>> calls = IntStream.range(0, 60)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> statusOf(channel, strictAccess.credentials(), tiny), pool)).toList();
            calls.forEach(c -> statuses.add(c.join()));
        } finally {
            pool.shutdownNow();
            channel.shutdownNow();
        }
        List<Status> refused = statuses.stream().filter(s -> s.getCode() == Status.Code.RESOURCE_EXHAUSTED).toList();
        assertThat(refused).isNotEmpty().allSatisfy(s -> assertThat(s.getDescription())
                .contains("rate limit exceeded for this API key"));
        // the rest were served: at least the key's 20 of one period, none lost
        assertThat(statuses).filteredOn(s -> s.getCode() != Status.Code.RESOURCE_EXHAUSTED)
                .hasSizeGreaterThanOrEqualTo(20).allSatisfy(s -> assertThat(s.getCode()).isEqualTo(Status.Code.OK));
    }

    @Test
    @Order(5)
    void placementConvergesOnRealTrafficAndCutsRemoteCallsWithoutAFailedRequest() throws Exception {
        Load load = new Load(client, expected, MAX_TOKENS);
        double before = sendsPerTokenAndLayer(load);
        assertThat(before).isEqualTo(2.0); // one container per expert: every token calls two endpoints per layer
        long failedBefore = RouterTraffic.read(routerChannel).getFailedCalls();
        ManagedChannel[] controllerChannel = new ManagedChannel[1];
        Supplier<PlacementStatus> status = () -> PlacementControllerGrpc.newBlockingStub(controllerChannel[0])
                .withDeadlineAfter(10, TimeUnit.SECONDS).getPlacement(GetPlacementRequest.getDefaultInstance());
        try {
            // the controller starts while six streams generate, and plans from their traffic
            Load.Outcome outcome = load.around(1, () -> {
                GenericContainer<?> controller = mesh.controller("placement-controller", "router",
                        "--moemesh.controller.initial-delay=0s", "--moemesh.controller.interval=1s",
                        "--moemesh.controller.min-window-tokens=800");
                mesh.start(controller);
                controllerChannel[0] = mesh.internalChannel(Mesh.target(controller));
            }, () -> status.get().getPlansApplied() >= 1, 2, Duration.ofMinutes(4));

            assertThat(outcome.problems()).isEmpty();
            assertThat(RouterTraffic.read(routerChannel).getFailedCalls()).as("expert calls that failed and were retried")
                    .isEqualTo(failedBefore);
            PlacementStatus applied = status.get();
            assertThat(applied.getPlansApplied()).as(applied.getLastDecision()).isGreaterThanOrEqualTo(1);
            assertThat(applied.getServicesList()).as("services hosting partner units")
                    .anySatisfy(service -> assertThat(service.getUnitsCount()).isGreaterThan(4));
            // converged: later rounds on the same traffic keep the plan
            long round = applied.getLastRoundUnixMillis();
            await().atMost(Duration.ofSeconds(30)).until(() -> status.get().getLastRoundUnixMillis() > round + 2500);
            PlacementStatus later = status.get();
            assertThat(later.getPlansApplied()).as(later.getLastDecision()).isEqualTo(applied.getPlansApplied());

            double after = sendsPerTokenAndLayer(load);
            System.err.printf("[e2e] remote calls per token per layer: %.3f before placement, %.3f after (%s)%n",
                    before, after, later.getLastDecision());
            assertThat(after).isLessThan(before);
        } finally {
            if (controllerChannel[0] != null) {
                controllerChannel[0].shutdownNow();
            }
        }
    }

    @Test
    @Order(6)
    void callersWithoutTlsOrTheInternalTokenAreRefusedAtEveryPort() {
        GenerateRequest hello = GenerateRequest.newBuilder().setPrompt("Hello")
                .setSampling(io.moemesh.proto.v1.SamplingParams.newBuilder().setMaxTokens(2)).build();
        // the gateway's public port speaks TLS only: a plaintext client, even with a valid key, gets no answer
        ManagedChannel plaintext = Grpc.newChannelBuilder(access.target(), InsecureChannelCredentials.create()).build();
        ManagedChannel routerPublic = Grpc.newChannelBuilder(Mesh.target(router), InsecureChannelCredentials.create())
                .build();
        ManagedChannel expert = Grpc.newChannelBuilder(Mesh.target(mesh.container("expert-0")),
                InsecureChannelCredentials.create()).build();
        try {
            Status overPlaintext = statusOf(plaintext,
                    io.moemesh.client.ApiKeyCredentials.of(KEY).allowingPlaintextToAnyHost(), hello);
            assertThat(overPlaintext.getCode()).as(overPlaintext.toString()).isEqualTo(Status.Code.UNAVAILABLE);
            // the router and the experts answer only callers with the internal token
            Status router = statusOf(routerPublic, null, hello);
            assertThat(router.getCode()).as(router.toString()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThatThrownBy(() -> io.moemesh.proto.internal.v1.ExpertGrpc.newBlockingStub(expert)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .releaseRetiredUnits(io.moemesh.proto.internal.v1.ReleaseRetiredUnitsRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        } finally {
            plaintext.shutdownNow();
            routerPublic.shutdownNow();
            expert.shutdownNow();
        }
        // and the mesh still serves its callers exactly
        GenerationResult r = client.generate(GenerateOptions.builder().prompt(PROMPTS.getFirst()).maxTokens(MAX_TOKENS)
                .ignoreEos(true).build());
        assertThat(r.tokenIds()).isEqualTo(expected.get(PROMPTS.getFirst()));
    }

    /** Sends per token per layer the router made for one exact pass over the prompts. */
    private double sendsPerTokenAndLayer(Load load) {
        DispatchTraffic before = RouterTraffic.read(routerChannel);
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(load.greedy(prompt));
            assertThat(r.tokenIds()).as(prompt).isEqualTo(expected.get(prompt));
            assertThat(r.degraded()).isFalse();
        }
        return RouterTraffic.sendsPerTokenAndLayer(before, RouterTraffic.read(routerChannel));
    }

    /** Calls Generate with {@code key} and reads the stream to its end: OK or the status it failed with. */
    private static Status statusOf(ManagedChannel gateway, CallCredentials key, GenerateRequest request) {
        MoeMeshGrpc.MoeMeshBlockingStub stub = MoeMeshGrpc.newBlockingStub(gateway).withCallCredentials(key)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        try {
            Iterator<GenerateResponse> responses = stub.generate(request);
            responses.forEachRemaining(r -> { });
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    private static void assertRefused(Status status, String mentions) {
        assertThat(status.getCode()).as(String.valueOf(status)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).contains(mentions);
    }
}
