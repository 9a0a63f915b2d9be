package io.moemesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.moemesh.client.DeadlineExceededException;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.testing.FailingClients;
import io.moemesh.testing.InProcessReference;
import io.moemesh.testing.PrometheusMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.GenericContainer;

/**
 * Clients that fail, against the service images on a Docker network (tiny-random in two expert
 * containers, a router, a gateway), over the Docker port mappings: streams cancelled after their
 * first chunk, deadlines that expire mid-generation, a client that never reads, calls dropped the
 * moment they are sent. After each the router has no request left, normal requests give the
 * in-process engine's tokens, and the router's gRPC health said SERVING all along (the router
 * container never restarted).
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientFailuresE2E {

    private static final Path MODEL = Golden.model("tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "The quick brown fox");
    private static final int MAX_TOKENS = 24;
    private static final int LONG = 400;
    private static final int ROUTER_HTTP = 8082;

    private Mesh mesh;
    private GenericContainer<?> router;
    private GatewayAccess access;
    private MoeMeshClient client;
    private String gatewayTarget;
    private PrometheusMetrics routerMetrics;
    private Map<String, List<Integer>> expected;
    private final List<String> healthFailures = new CopyOnWriteArrayList<>();
    private Thread healthWatch;

    @BeforeAll
    void startMesh() {
        expected = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        mesh = new Mesh("client-failures", MODEL);
        GenericContainer<?> low = mesh.expert("experts-0-3", "0,1,2,3");
        GenericContainer<?> high = mesh.expert("experts-4-7", "4,5,6,7");
        mesh.start(low, high);
        // the test is one caller sending 100 streams at once: its per-caller limits (the gateway's 16
        // concurrent requests, the router's 32-request queue share) are raised to the whole queue
        router = mesh.router("router", List.of("experts-0-3", "experts-4-7"),
                "--moemesh.router.max-queued-per-caller=256");
        router.addExposedPort(ROUTER_HTTP);
        GenericContainer<?> gateway = mesh.gateway("gateway", "router", "--moemesh.gateway.allow-unauthenticated=true",
                "--moemesh.gateway.rate-limit.limit-for-period=100000",
                "--moemesh.gateway.caller-limits.tokens-per-minute=100000000",
                "--moemesh.gateway.caller-limits.max-concurrent-requests=256");
        mesh.start(router, gateway);
        access = GatewayAccess.of(gateway, null); // the gateway runs without keys
        gatewayTarget = access.target();
        routerMetrics = PrometheusMetrics.ofService("http://" + router.getHost() + ":" + router.getMappedPort(ROUTER_HTTP));
        client = access.client().defaultDeadline(Duration.ofMinutes(2)).build();
        healthWatch = Thread.ofPlatform().daemon().name("router-health-watch").start(this::watchRouterHealth);
    }

    @AfterAll
    void stopMesh() {
        try {
            if (healthWatch != null) {
                healthWatch.interrupt();
            }
            if (client != null) {
                client.close();
            }
        } finally {
            if (mesh != null) {
                mesh.close();
            }
        }
    }

    @Test
    @Order(1)
    void streamsCancelledAfterTheirFirstChunkLeaveTheRouterExact() {
        List<CompletableFuture<MoeMeshException>> ends = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ends.add(FailingClients.cancelAfterFirstChunk(client, GenerateOptions.builder().prompt("Once upon a time, " + i)
                    .maxTokens(LONG).ignoreEos(true).build(), new AtomicLong()));
        }
        for (CompletableFuture<MoeMeshException> end : ends) {
            assertThat(end.orTimeout(2, TimeUnit.MINUTES).join().code()).isEqualTo(Status.Code.CANCELLED);
        }

        await().atMost(Duration.ofSeconds(30))
                .until(() -> routerMetrics.sum("moemesh_router_requests_cancelled_total", "") >= 100);
        assertThat(routerMetrics.sum("moemesh_router_tokens_after_cancel_max", "")).isLessThanOrEqualTo(1);
        awaitRouterIdleAndExact();
    }

    @Test
    @Order(2)
    void deadlinesThatExpireMidGenerationEndOnlyTheirRequests() {
        List<CompletableFuture<GenerationResult>> hurried = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            GenerateOptions options = GenerateOptions.builder().prompt("In a hurry " + i).maxTokens(LONG)
                    .ignoreEos(true).deadline(Duration.ofMillis(300)).build();
            hurried.add(CompletableFuture.supplyAsync(() -> client.generate(options)));
        }
        for (CompletableFuture<GenerationResult> h : hurried) {
            assertThatThrownBy(h::join).hasCauseInstanceOf(DeadlineExceededException.class);
        }

        awaitRouterIdleAndExact();
    }

    @Test
    @Order(3)
    void aClientThatNeverReadsAndCallsDroppedAtOnceHoldNobodyUp() {
        ManagedChannel stuckChannel = access.channel();
        ClientCallStreamObserver<GenerateRequest> stuck = FailingClients.neverReading(stuckChannel, access.credentials(),
                FailingClients.request("Never read me", LONG));
        try {
            for (int i = 0; i < 20; i++) {
                FailingClients.sendAndDisconnect(gatewayTarget, access.credentials(), FailingClients.request("Gone at once " + i, LONG));
            }

            awaitRouterIdleAndExact();
        } finally {
            stuck.cancel("test over", null);
            stuckChannel.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void theRoutersHealthSaidServingThroughoutAndItNeverRestarted() {
        assertThat(healthFailures).isEmpty();
        assertThat(router.getContainerInfo().getRestartCount()).isZero();
        assertThat(router.isRunning()).isTrue();
        assertThat(routerMetrics.sum("moemesh_router_requests_failed_total", "")).isZero();
    }

    private void awaitRouterIdleAndExact() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> routerMetrics.sum("moemesh_router_scheduler_load", "") == 0);
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS)
                    .ignoreEos(true).build());
            assertThat(r.tokenIds()).as(prompt).isEqualTo(expected.get(prompt));
        }
    }

    private void watchRouterHealth() {
        ManagedChannel channel = Grpc.newChannelBuilder(Mesh.target(router), InsecureChannelCredentials.create())
                .build();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    ServingStatus status = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    if (status != ServingStatus.SERVING) {
                        healthFailures.add(status + " at " + java.time.Instant.now());
                    }
                } catch (RuntimeException e) {
                    healthFailures.add(e + " at " + java.time.Instant.now());
                }
                Thread.sleep(500); // a probe's period
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            channel.shutdownNow();
        }
    }
}
