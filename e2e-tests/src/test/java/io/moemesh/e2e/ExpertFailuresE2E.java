package io.moemesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.SkippedExpert;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.testing.InProcessReference;
import io.moemesh.testing.Load;
import io.moemesh.testing.RouterTraffic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.GenericContainer;

/**
 * Expert containers failing under a running system. tiny-random (8 experts) packed into expert
 * containers: {@code experts-0-3} hosts experts 0..3 alone, three replicas host 4..7. A router
 * (expert calls time out after 1 s, a breaker stays open 20 s) and a gateway. In order: exact
 * results; one replica stopped (SIGTERM), then one of the two left killed (SIGKILL), under load,
 * without a failed, degraded or inexact request; the unreplicated container paused: calls hit their
 * deadline, the breaker opens, responses come back degraded and nothing hangs; unpaused: exact
 * results again.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExpertFailuresE2E {

    private static final Path MODEL = Golden.model("tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich — Ελληνικά", "The quick brown fox",
            "Once upon a time, ");
    private static final int MAX_TOKENS = 24;
    private static final String UNREPLICATED = "experts-0-3";
    private static final Duration EXPERT_CALL_TIMEOUT = Duration.ofSeconds(1);

    private Mesh mesh;
    private GenericContainer<?> unreplicated;
    private GenericContainer<?> replicaB;
    private GenericContainer<?> replicaC;
    private MoeMeshClient client;
    private ManagedChannel routerChannel;
    private Map<String, List<Integer>> expected;
    private Load load;

    @BeforeAll
    void startMesh() {
        expected = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        mesh = new Mesh("expert-failures", MODEL);
        unreplicated = mesh.expert(UNREPLICATED, "0,1,2,3");
        GenericContainer<?> replicaA = mesh.expert("experts-4-7-a", "4,5,6,7");
        replicaB = mesh.expert("experts-4-7-b", "4,5,6,7");
        replicaC = mesh.expert("experts-4-7-c", "4,5,6,7");
        mesh.start(unreplicated, replicaA, replicaB, replicaC);
        GenericContainer<?> router = mesh.router("router",
                List.of(UNREPLICATED, "experts-4-7-a", "experts-4-7-b", "experts-4-7-c"),
                "--moemesh.router.expert-call-timeout=" + EXPERT_CALL_TIMEOUT.toSeconds() + "s",
                "--moemesh.router.breaker-open-for=20s");
        // no API keys (allowed explicitly): limits per peer address, raised so that the load streams never meet them
        GenericContainer<?> gateway = mesh.gateway("gateway", "router", "--moemesh.gateway.allow-unauthenticated=true",
                "--moemesh.gateway.rate-limit.limit-for-period=100000",
                "--moemesh.gateway.caller-limits.tokens-per-minute=100000000");
        mesh.start(router, gateway);
        client = GatewayAccess.of(gateway, null).client().defaultDeadline(Duration.ofMinutes(2)).build();
        routerChannel = Grpc.newChannelBuilder(Mesh.internalTarget(router), InsecureChannelCredentials.create())
                .build();
        load = new Load(client, expected, MAX_TOKENS);
    }

    @AfterAll
    void stopMesh() {
        try {
            if (client != null) {
                client.close();
                routerChannel.shutdownNow();
            }
        } finally {
            if (mesh != null) {
                mesh.close();
            }
        }
    }

    @Test
    @Order(1)
    void packedExpertContainersGenerateTheInProcessEnginesTokensAlsoConcurrently() {
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(load.greedy(prompt));
            assertThat(r.tokenIds()).as(prompt).isEqualTo(expected.get(prompt));
            assertThat(r.degraded()).isFalse();
        }
        ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
        try {
            List<CompletableFuture<GenerationResult>> running = PROMPTS.stream()
                    .map(p -> CompletableFuture.supplyAsync(() -> client.generate(load.greedy(p)), pool)).toList();
            for (int i = 0; i < PROMPTS.size(); i++) {
                GenerationResult r = running.get(i).join();
                assertThat(r.tokenIds()).as(PROMPTS.get(i)).isEqualTo(expected.get(PROMPTS.get(i)));
                assertThat(r.degraded()).isFalse();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(2)
    void stoppingOneOfThreeReplicasUnderLoadFailsNoRequest() throws Exception {
        long[] servedBeforeStop = new long[2];
        servedBeforeStop[0] = Mesh.tokensComputed(replicaC);

        Load.Outcome outcome = load.around(2, () -> {
            servedBeforeStop[1] = Mesh.tokensComputed(replicaC);
            Mesh.stop(replicaC);
        }, () -> true, 2, Duration.ofMinutes(3));

        assertThat(outcome.problems()).isEmpty();
        assertThat(servedBeforeStop[1]).as("tokens replica c computed under this load before it was stopped")
                .isGreaterThan(servedBeforeStop[0]);
        assertThat(replicaC.isRunning()).isFalse();
    }

    @Test
    @Order(3)
    void killingOneOfTheTwoReplicasLeftUnderLoadFailsNoRequest() throws Exception {
        long failedBefore = RouterTraffic.read(routerChannel).getFailedCalls();
        long servedBefore = Mesh.tokensComputed(replicaB);
        long[] servedAtKill = new long[1];

        Load.Outcome outcome = load.around(2, () -> {
            servedAtKill[0] = Mesh.tokensComputed(replicaB);
            Mesh.kill(replicaB);
        }, () -> true, 2, Duration.ofMinutes(3));

        assertThat(outcome.problems()).isEmpty();
        assertThat(servedAtKill[0]).as("tokens replica b computed under this load before it was killed")
                .isGreaterThan(servedBefore);
        // calls to the killed replica failed and were retried on the other one: no request saw it
        assertThat(RouterTraffic.read(routerChannel).getFailedCalls()).isGreaterThan(failedBefore);
        assertThat(replicaB.isRunning()).isFalse();
    }

    @Test
    @Order(4)
    void aPausedExpertContainerTimesOutOpensItsBreakerAndResponsesComeBackDegraded() {
        long failedBefore = RouterTraffic.read(routerChannel).getFailedCalls();
        Mesh.pause(unreplicated);

        long start = System.nanoTime();
        GenerationResult first = client.generate(shortGreedy("The quick brown fox"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        ExpertEndpointState paused = endpoint(UNREPLICATED);

        assertThat(first.tokenIds()).hasSize(8);
        assertThat(first.degraded()).isTrue();
        assertThat(first.skippedExperts()).isNotEmpty().extracting(SkippedExpert::expert).allMatch(e -> e < 4);
        // a paused process refuses nothing: the calls to it failed only at their deadline
        assertThat(took).isGreaterThanOrEqualTo(EXPERT_CALL_TIMEOUT);
        assertThat(RouterTraffic.read(routerChannel).getFailedCalls() - failedBefore).isGreaterThanOrEqualTo(2);
        // and then its breaker opened: the router sends it no more work (for 20 s)
        assertThat(paused.getAccepting()).as("endpoint accepting work").isFalse();

        GenerationResult second = client.generate(shortGreedy("Once upon a time, "));
        assertThat(second.degraded()).isTrue();
        assertThat(second.skippedExperts()).isNotEmpty().extracting(SkippedExpert::expert).allMatch(e -> e < 4);
    }

    @Test
    @Order(5)
    void unpausedTheResultsAreExactAgain() {
        Mesh.unpause(unreplicated);

        // the breaker lets a trial call through after its 20 s and closes when it succeeds
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            GenerationResult r = client.generate(load.greedy("The quick brown fox"));
            assertThat(r.degraded()).isFalse();
            assertThat(r.tokenIds()).isEqualTo(expected.get("The quick brown fox"));
        });
        assertThat(endpoint(UNREPLICATED).getAccepting()).isTrue();
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(load.greedy(prompt));
            assertThat(r.tokenIds()).as(prompt).isEqualTo(expected.get(prompt));
            assertThat(r.degraded()).isFalse();
        }
    }

    private ExpertEndpointState endpoint(String alias) {
        return ExpertEndpointsGrpc.newBlockingStub(routerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsList().stream()
                .filter(e -> e.getTarget().equals(alias + ":" + Mesh.EXPERT_GRPC)).findFirst()
                .orElseThrow(() -> new AssertionError("the router lists no endpoint " + alias));
    }

    /** Eight greedy tokens; a request that hung would fail with DEADLINE_EXCEEDED after 30 s. */
    private static GenerateOptions shortGreedy(String prompt) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(8).ignoreEos(true).deadline(Duration.ofSeconds(30))
                .build();
    }
}
