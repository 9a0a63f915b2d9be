package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.SkippedExpert;
import io.moemesh.client.UnauthenticatedException;
import io.moemesh.testing.InProcessReference;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole system as separate processes on loopback (8 expert services, a second replica of one
 * of them, a router, a gateway), driven through the client SDK and compared with the in-process
 * engine. The tests run in order: healthy, one replica killed, every replica killed, restarted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final Path HOME = Path.of(System.getProperty("moemesh.home", ".."));
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich — Ελληνικά", "The quick brown fox",
            "Once upon a time, ");
    private static final int MAX_TOKENS = 24;
    /** The expert that gets a second replica and is killed: expert 2 serves every prompt's tokens in some layer. */
    private static final int VICTIM = 2;

    private LocalCluster cluster;
    private final List<ServiceProcess> processes = new ArrayList<>();
    private ServiceProcess victim;
    private ServiceProcess victimReplica;
    private MoeMeshClient client;
    private Path apiKeyFile;
    private ServiceProcess gateway;
    private Map<String, List<Integer>> reference;

    @BeforeAll
    void startCluster() throws IOException {
        reference = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        Path stateDir = Files.createTempDirectory("moe-it");
        cluster = new LocalCluster(HOME, stateDir);
        apiKeyFile = ApiKeyFile.create(stateDir);
        List<String> experts = new ArrayList<>();
        for (int e = 0; e < 8; e++) {
            ServiceProcess p = cluster.launchExpert(MODEL, e, 0, freePort());
            processes.add(p);
            experts.add(p.target());
            victim = e == VICTIM ? p : victim;
        }
        victimReplica = cluster.launchExpert(MODEL, VICTIM, 1, freePort());
        processes.add(victimReplica);
        experts.add(victimReplica.target());
        HealthProbe.awaitServing(processes, Duration.ofMinutes(3));
        ServiceProcess router = cluster.launchRouter(MODEL, LocalCluster.RouterPorts.grpcOnly(freePort(), freePort()),
                experts);
        gateway = cluster.launchGateway(freePort(), LocalCluster.Layout.NO_HTTP, List.of(router.target()), apiKeyFile);
        processes.add(router);
        processes.add(gateway);
        HealthProbe.awaitServing(processes, Duration.ofMinutes(3));
        client = MoeMeshClient.builder().target(gateway.target()).apiKeyFile(apiKeyFile).allowKeyOverPlaintext()
                .defaultDeadline(Duration.ofMinutes(2)).build();
    }

    @AfterAll
    void stopCluster() {
        if (client != null) {
            client.close();
        }
        ServiceLauncher.stop(processes, Duration.ofSeconds(20));
    }

    @Test
    @Order(1)
    void distributedGreedyOutputEqualsTheInProcessEngine() {
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(greedy(prompt));
            assertThat(r.tokenIds()).as(prompt).isEqualTo(reference.get(prompt));
            assertThat(r.degraded()).isFalse();
        }
    }

    @Test
    @Order(2)
    void concurrentRequestsGetTheirOwnExactTokens() {
        for (GenerationResult r : concurrently(PROMPTS, () -> { })) {
            assertThat(r.degraded()).isFalse();
        }
    }

    @Test
    @Order(3)
    void killingOneReplicaUnderLoadFailsNoRequestAndChangesNoToken() {
        List<GenerationResult> results = concurrently(PROMPTS, () -> kill(victimReplica));

        assertThat(results).hasSize(PROMPTS.size()).allSatisfy(r -> assertThat(r.degraded()).isFalse());
    }

    /** Needs the gateway's {@code moemesh.gateway.api-keys-file} (issue 16): before it, the gateway serves anyone. */
    @Test
    @Order(4)
    void theGatewayOfALocalClusterRefusesCallsWithoutItsKeyOrWithAnother() {
        try (MoeMeshClient noKey = MoeMeshClient.builder().target(gateway.target()).build();
                MoeMeshClient otherKey = MoeMeshClient.builder().target(gateway.target())
                        .apiKey("x".repeat(43)).allowKeyOverPlaintext().build()) {
            for (MoeMeshClient c : List.of(noKey, otherKey)) {
                assertThatThrownBy(() -> c.generate(greedy("Hello, world!")))
                        .isInstanceOf(UnauthenticatedException.class);
            }
        }
    }

    @Test
    @Order(5)
    void withEveryReplicaOfAnExpertDownRequestsCompleteMarkedDegraded() {
        kill(victim);

        GenerationResult r = client.generate(greedy("The quick brown fox"));

        assertThat(r.tokenIds()).hasSize(MAX_TOKENS);
        assertThat(r.degraded()).isTrue();
        assertThat(r.skippedExperts()).extracting(SkippedExpert::expert).containsOnly(VICTIM);
    }

    @Test
    @Order(6)
    void afterARestartTheBreakerClosesAndResultsAreExactAgain() {
        ServiceProcess restarted = cluster.launchExpert(MODEL, VICTIM, 0, victim.port());
        processes.add(restarted);
        HealthProbe.awaitServing(List.of(restarted), Duration.ofMinutes(2));

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            GenerationResult r = client.generate(greedy("The quick brown fox"));
            assertThat(r.degraded()).isFalse();
            assertThat(r.tokenIds()).isEqualTo(reference.get("The quick brown fox"));
        });
    }

    /** Runs every prompt at once; {@code midway} runs once the first chunk has arrived. Checks exact tokens. */
    private List<GenerationResult> concurrently(List<String> prompts, Runnable midway) {
        ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
        try {
            List<CompletableFuture<GenerationResult>> futures = prompts.stream()
                    .map(p -> CompletableFuture.supplyAsync(() -> client.generate(greedy(p)), pool)).toList();
            midway.run();
            List<GenerationResult> results = futures.stream().map(CompletableFuture::join).toList();
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(results.get(i).tokenIds()).as(prompts.get(i)).isEqualTo(reference.get(prompts.get(i)));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void kill(ServiceProcess p) {
        ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(p.pid()).isEmpty()
                || !ProcessHandle.of(p.pid()).get().isAlive());
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
