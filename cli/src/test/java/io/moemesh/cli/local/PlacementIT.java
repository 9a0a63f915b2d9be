package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.proto.internal.v1.DescribeRequest;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.DispatchTraffic;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.GetPlacementRequest;
import io.moemesh.proto.internal.v1.PlacementControllerGrpc;
import io.moemesh.proto.internal.v1.PlacementStatus;
import io.moemesh.testing.InProcessReference;
import io.moemesh.testing.Load;
import io.moemesh.testing.RouterTraffic;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Re-placement under load, as {@code moe up} runs it: 8 expert processes, a router, a gateway and
 * the placement controller on loopback. Generation runs on four streams without pause while the
 * controller plans from the router's statistics and moves partner units onto the running expert
 * services (make-before-break). No request may fail or come back degraded, every one must equal
 * the in-process engine's tokens, before, during and after the switch, and afterwards the router
 * sends co-hosted pairs to one endpoint. Then a controller with a smaller memory budget takes over
 * and drops partners under load: they retire, the router switches, they are released.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlacementIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final Path HOME = Path.of(System.getProperty("moemesh.home", ".."));
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich — Ελληνικά", "The quick brown fox",
            "Once upon a time, ");
    private static final int MAX_TOKENS = 24;

    private final List<ServiceProcess> processes = new ArrayList<>();
    private Map<String, List<Integer>> reference;
    private MoeMeshClient client;
    /** To the router's internal port: RoutingStats and ExpertEndpoints. */
    private ManagedChannel routerChannel;
    private String routerInternal;
    private LocalCluster cluster;
    private ServiceProcess router;
    private ServiceProcess controller;
    private ManagedChannel controllerChannel;
    private int controllerHttpPort;

    @BeforeAll
    void startCluster() throws IOException {
        reference = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        Path stateDir = Files.createTempDirectory("moe-placement-it");
        cluster = new LocalCluster(HOME, stateDir);
        Path apiKeyFile = ApiKeyFile.create(stateDir);
        List<String> experts = new ArrayList<>();
        for (int e = 0; e < 8; e++) {
            ServiceProcess p = cluster.launchExpert(MODEL, e, 0, freePort());
            processes.add(p);
            experts.add(p.target());
        }
        HealthProbe.awaitServing(processes, Duration.ofMinutes(3));
        int internalPort = freePort();
        routerInternal = LocalCluster.BIND_ADDRESS + ":" + internalPort;
        router = cluster.launchRouter(MODEL, LocalCluster.RouterPorts.grpcOnly(freePort(), internalPort), experts);
        ServiceProcess gateway = cluster.launchGateway(freePort(), LocalCluster.Layout.NO_HTTP, List.of(router.target()), apiKeyFile);
        processes.addAll(List.of(router, gateway));
        startController(1.25);
        client = MoeMeshClient.builder().target(gateway.target()).apiKeyFile(apiKeyFile).allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofMinutes(2)).build();
        routerChannel = Grpc.newChannelBuilder(routerInternal, InsecureChannelCredentials.create()).build();
    }

    /** A controller planning every second once the window holds 150 tokens; any gain is worth applying here. */
    private void startController(double memoryBudget) throws IOException {
        controllerHttpPort = freePort();
        controller = cluster.launchController(new LocalCluster.Controller(freePort(), controllerHttpPort,
                Duration.ofSeconds(1), 150, 0.01, memoryBudget, 4.0, false), routerInternal);
        processes.add(controller);
        HealthProbe.awaitServing(processes, Duration.ofMinutes(3));
        if (controllerChannel != null) {
            controllerChannel.shutdownNow();
        }
        controllerChannel = Grpc.newChannelBuilder(controller.target(), InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (routerChannel != null) {
            routerChannel.shutdownNow();
            controllerChannel.shutdownNow();
        }
        ServiceLauncher.stop(processes, Duration.ofSeconds(20));
    }

    @Test
    @Order(1)
    void rePlacementUnderLoadFailsNoRequestChangesNoTokenAndCutsRemoteCalls() throws Exception {
        assertThat(placement().getPlansApplied()).isZero();

        long failedBefore = traffic().getFailedCalls();

        assertThat(underLoad(() -> placement().getPlansApplied() >= 1)).isEmpty();

        // no call failed and was retried on the way: the switch itself cost nothing
        assertThat(traffic().getFailedCalls()).isEqualTo(failedBefore);
        PlacementStatus status = placement();
        assertThat(status.getPlansApplied()).as(status.getLastDecision()).isGreaterThanOrEqualTo(1);
        assertThat(status.getExpectedCallsPerToken()).isLessThan(status.getBaselineCallsPerToken());
        assertThat(partnerUnits()).isPositive();
        assertThat(expertsDescribed()).allSatisfy(d -> assertThat(d.getRetiringUnitsCount()).isZero());

        // after the switch the router sends a co-hosted pair once: fewer than two sends per token per layer
        DispatchTraffic before = traffic();
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(greedy(prompt));
            assertThat(r.tokenIds()).isEqualTo(reference.get(prompt));
        }
        DispatchTraffic after = traffic();
        assertThat(RouterTraffic.sendsPerTokenAndLayer(before, after)).isLessThan(2.0);
    }

    @Test
    @Order(2)
    void aPlanThatDropsPartnersRetiresThemUnderLoadWithoutFailingARequest() throws Exception {
        int partnersBefore = partnerUnits();
        ServiceLauncher.stop(List.of(controller), Duration.ofSeconds(10));
        processes.remove(controller);
        startController(1.125); // half the partner budget: the new plan drops some of the live partners
        long failedBefore = traffic().getFailedCalls();

        assertThat(underLoad(() -> placement().getPlansApplied() >= 1)).isEmpty();

        assertThat(traffic().getFailedCalls()).isEqualTo(failedBefore);
        assertThat(partnerUnits()).isPositive().isLessThan(partnersBefore);
        // dropped partners were computed until the router had switched, then released (asked of the experts)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(expertsDescribed())
                .allSatisfy(d -> assertThat(d.getRetiringUnitsCount()).isZero()));
    }

    @Test
    @Order(3)
    void theControllerServesItsStatusAsJsonOverHttp() throws Exception {
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newHttpClient()) {
            response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controllerHttpPort
                    + "/placement")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/json"));
        assertThat(response.body()).contains("\"plansApplied\"", "\"lastDecision\"", "\"minGain\": 0.01");
    }

    /**
     * Generates on one stream per prompt without pause until {@code done} holds and every stream has
     * finished two more requests; returns what went wrong (a failure, a degraded or inexact result).
     */
    private List<String> underLoad(Callable<Boolean> done) throws InterruptedException {
        return new Load(client, reference, MAX_TOKENS).around(0, () -> { }, done, 2, Duration.ofMinutes(3)).problems();
    }

    private List<ExpertEndpointState> endpoints() {
        return ExpertEndpointsGrpc.newBlockingStub(routerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsList();
    }

    /** Every expert process's own answer to Describe (the router's view of them may lag). */
    private List<DescribeResponse> expertsDescribed() {
        List<DescribeResponse> out = new ArrayList<>();
        for (ServiceProcess p : processes) {
            if (!p.role().equals("expert")) {
                continue;
            }
            ManagedChannel channel = Grpc.newChannelBuilder(p.target(), InsecureChannelCredentials.create()).build();
            try {
                out.add(ExpertGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .describe(DescribeRequest.getDefaultInstance()));
            } finally {
                channel.shutdownNow();
            }
        }
        return out;
    }

    private int partnerUnits() {
        return endpoints().stream().mapToInt(e -> e.getDescription().getPartnerUnitsCount()).sum();
    }

    private PlacementStatus placement() {
        return PlacementControllerGrpc.newBlockingStub(controllerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getPlacement(GetPlacementRequest.getDefaultInstance());
    }

    private DispatchTraffic traffic() {
        return RouterTraffic.read(routerChannel);
    }

    private static GenerateOptions greedy(String prompt) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS).ignoreEos(true).build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
