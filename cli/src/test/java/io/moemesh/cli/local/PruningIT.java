package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.MoeMeshException;
import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.model.PrunedExperts;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.testing.InProcessReference;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pruning as {@code moe up --pruning} runs it (issue 22), all real processes on loopback: tiny-random's 8
 * expert processes, a router following the experts file, a gateway and a placement controller that
 * prunes experts below 0.9 of the uniform routing share within a quality budget of half the routed
 * token-slots (tiny-random's routing is near uniform: the shipped defaults prune nothing here, which
 * is the point of a quality budget). Streams generate while the controller prunes: no request fails
 * or is degraded, and each that no pruned expert touched equals the unpruned in-process engine. The
 * pruned experts' processes are stopped only after the router switched (a stopped process that was still
 * listed would fail calls or degrade answers); then every answer equals the
 * in-process engine with those experts masked and says which were pruned, and a request that refuses
 * pruned experts gets FAILED_PRECONDITION. A controller with pruning off restores them: their processes
 * start from {@code start-expert}, the router lists them before it unmasks them, and the answers are
 * the unmasked engine's again. {@code down} stops the processes the controller started too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PruningIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final Path HOME = Path.of(System.getProperty("moemesh.home", ".."));
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich — Ελληνικά", "The quick brown fox",
            "Once upon a time, ");
    private static final int MAX_TOKENS = 24;
    private static final int EXPERTS = 8;
    private static final int MOE_LAYERS = 2;
    private static final ExpertProcesses PRUNING = new ExpertProcesses(0, true, 0.9, 0.5);

    private Path stateDir;
    private LocalCluster cluster;
    private ClusterState state;
    private MoeMeshClient client;
    private ManagedChannel routerChannel;
    private Map<String, List<Integer>> unpruned;
    private Map<String, List<Integer>> pruned;
    private SortedSet<Integer> prunedExperts;

    @BeforeAll
    void startCluster() throws IOException {
        unpruned = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        stateDir = Files.createTempDirectory("moe-pruning-it");
        cluster = new LocalCluster(HOME, stateDir);
        int controllerHttp = freePort();
        LocalCluster.Layout layout = new LocalCluster.Layout(freePort(),
                LocalCluster.RouterPorts.grpcOnly(freePort(), freePort()), freePortRange(EXPERTS), 1,
                Duration.ofMinutes(3));
        // plans every second once the window holds 150 tokens; memory budget 1.0: no partner units,
        // so every expert's process hosts only its own units and may be stopped
        state = cluster.up(MODEL, layout, Map.of(), new LocalCluster.Controller(freePort(), controllerHttp,
                Duration.ofSeconds(1), 150, 0.05, 1.0, 4.0, false, PRUNING));
        client = MoeMeshClient.builder().target(state.gateway()).apiKeyFile(Path.of(state.apiKeyFile()))
                .allowKeyOverPlaintext().defaultDeadline(Duration.ofMinutes(2)).build();
        routerChannel = Grpc.newChannelBuilder(state.routerInternal(), InsecureChannelCredentials.create()).build();
    }

    @AfterAll
    void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (routerChannel != null) {
            routerChannel.shutdownNow();
        }
        if (cluster != null) {
            cluster.down(Duration.ofSeconds(20));
        }
    }

    @Test
    @Order(1)
    void coldExpertsArePrunedUnderLoadWithoutAFailedOrDegradedRequest() throws Exception {
        assertThat(routerPruned()).isEmpty();

        List<GenerationResult> seen = underLoad(() -> !routerPruned().isEmpty() && stoppedExperts().size()
                == routerPruned().size());

        prunedExperts = routerPruned();
        assertThat(prunedExperts).as("the controller pruned something").isNotEmpty().hasSizeLessThanOrEqualTo(2);
        // every MoE layer's unit of each pruned expert is masked
        assertThat(routerState().getPrunedList()).hasSize(prunedExperts.size() * MOE_LAYERS);
        assertThat(stoppedExperts()).containsExactlyElementsOf(prunedExperts);
        pruned = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS, mask(prunedExperts));
        // before, during and after the switch no answer is degraded; one that no pruned expert touched is
        // the unpruned engine's (a request running across the switch may change experts mid-sequence, so
        // the others are checked exactly once the switch is over, below)
        assertThat(seen).isNotEmpty();
        int touched = 0;
        for (int i = 0; i < seen.size(); i++) {
            String prompt = PROMPTS.get(i % PROMPTS.size());
            GenerationResult r = seen.get(i);
            assertThat(r.degraded()).isFalse();
            if (r.prunedExperts().isEmpty()) {
                assertThat(r.tokenIds()).as(prompt).isEqualTo(unpruned.get(prompt));
            } else {
                touched++;
                assertThat(r.prunedExperts()).allSatisfy(p -> assertThat(prunedExperts).contains(p.expert()));
            }
        }
        assertThat(touched).as("answers served with pruned experts while the streams ran").isPositive();
    }

    @Test
    @Order(2)
    void servedWithThePrunedSetTheTokensEqualTheEngineWithThoseExpertsMasked() {
        int reportingPrunedExperts = 0;
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(greedy(prompt).build());
            assertThat(r.tokenIds()).as(prompt).isEqualTo(pruned.get(prompt));
            assertThat(r.degraded()).isFalse();
            assertThat(r.skippedExperts()).isEmpty();
            assertThat(r.prunedExperts()).allSatisfy(p -> assertThat(prunedExperts).contains(p.expert()));
            reportingPrunedExperts += r.prunedExperts().isEmpty() ? 0 : 1;
        }
        assertThat(reportingPrunedExperts).as("some prompt wanted a pruned expert").isPositive();
    }

    @Test
    @Order(3)
    void aRequestThatRefusesPrunedExpertsFailsWithFailedPrecondition() {
        String prompt = PROMPTS.stream().filter(p -> !client.generate(greedy(p).build()).prunedExperts().isEmpty())
                .findFirst().orElseThrow();

        assertThatThrownBy(() -> client.generate(greedy(prompt).refusePrunedExperts(true).build()))
                .isInstanceOfSatisfying(MoeMeshException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getMessage()).contains("pruned");
                });
    }

    @Test
    @Order(4)
    void aControllerWithPruningOffRestoresThePrunedExperts() throws Exception {
        ServiceProcess first = state.processes().stream().filter(p -> p.name().equals("placement")).findFirst()
                .orElseThrow();
        ServiceLauncher.stop(List.of(first), Duration.ofSeconds(10));
        ServiceProcess second = cluster.launchController(new LocalCluster.Controller(freePort(), freePort(),
                Duration.ofSeconds(1), 150, 0.05, 1.0, 4.0, false, ExpertProcesses.NONE), state.routerInternal(),
                StartExpertScript.in(stateDir));
        HealthProbe.awaitServing(List.of(second), Duration.ofMinutes(2));

        List<GenerationResult> seen = underLoad(() -> routerPruned().isEmpty());

        assertThat(stoppedExperts()).isEmpty();
        assertThat(liveExpertProcesses()).isEqualTo(EXPERTS);
        assertThat(routerState().getEndpointsList()).hasSize(EXPERTS).allSatisfy(e -> assertThat(e.hasDescription())
                .isTrue());
        assertThat(seen).allSatisfy(r -> assertThat(r.degraded()).isFalse());
        for (String prompt : PROMPTS) {
            GenerationResult r = client.generate(greedy(prompt).build());
            assertThat(r.tokenIds()).as(prompt).isEqualTo(unpruned.get(prompt));
            assertThat(r.prunedExperts()).isEmpty();
        }
        ServiceLauncher.stop(List.of(second), Duration.ofSeconds(10));
    }

    @Test
    @Order(5)
    void downStopsTheProcessesTheControllerStarted() {
        List<ProcessHandle> experts = ExpertPidFile.readAll(stateDir).stream()
                .flatMap(p -> p.liveProcess(stateDir).stream()).toList();
        assertThat(experts).hasSize(EXPERTS);

        cluster.down(Duration.ofSeconds(20));
        cluster = null;

        await().atMost(Duration.ofSeconds(30)).until(() -> experts.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(ExpertPidFile.readAll(stateDir)).isEmpty();
    }

    /**
     * Two streams generate the prompts in turn without pause until {@code done} holds and each has
     * finished two more; returns every result in prompt order per stream (result i is of prompt
     * i mod 4); a failed request fails the test.
     */
    private List<GenerationResult> underLoad(java.util.concurrent.Callable<Boolean> done) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<List<GenerationResult>> perStream = List.of(new ArrayList<>(), new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(perStream.size());
        try {
            for (List<GenerationResult> results : perStream) {
                pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            GenerationResult r = client.generate(greedy(PROMPTS.get(i % PROMPTS.size())).build());
                            synchronized (results) {
                                results.add(r);
                            }
                        } catch (RuntimeException e) {
                            failures.add(e);
                            return;
                        }
                    }
                });
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> done.call() || !failures.isEmpty());
            int[] atDone = perStream.stream().mapToInt(this::size).toArray();
            await().atMost(Duration.ofMinutes(1)).until(() -> !failures.isEmpty()
                    || size(perStream.get(0)) >= atDone[0] + PROMPTS.size() / 2
                    && size(perStream.get(1)) >= atDone[1] + PROMPTS.size() / 2);
        } finally {
            stop.set(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
        }
        assertThat(failures).isEmpty();
        // one stream's results, in prompt order, so that index mod 4 names the prompt
        return perStream.get(0);
    }

    private int size(List<GenerationResult> results) {
        synchronized (results) {
            return results.size();
        }
    }

    private static GenerateOptions.Builder greedy(String prompt) {
        return GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS).ignoreEos(true);
    }

    private ExpertEndpointsState routerState() {
        return ExpertEndpointsGrpc.newBlockingStub(routerChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance());
    }

    private SortedSet<Integer> routerPruned() {
        SortedSet<Integer> experts = new TreeSet<>();
        for (PrunedUnit u : routerState().getPrunedList()) {
            experts.add(u.getExpert());
        }
        return experts;
    }

    /** Experts with no live process among the pid files (the controller deletes a stopped one's file). */
    private SortedSet<Integer> stoppedExperts() {
        SortedSet<Integer> stopped = new TreeSet<>();
        for (int e = 0; e < EXPERTS; e++) {
            stopped.add(e);
        }
        for (ExpertPidFile p : ExpertPidFile.readAll(stateDir)) {
            if (p.liveProcess(stateDir).isPresent()) {
                stopped.remove(p.expert());
            }
        }
        return stopped;
    }

    private long liveExpertProcesses() {
        return ExpertPidFile.readAll(stateDir).stream().filter(p -> p.liveProcess(stateDir).isPresent()).count();
    }

    private static PrunedExperts mask(SortedSet<Integer> experts) {
        List<PrunedExperts.Unit> units = new ArrayList<>();
        for (int l = 0; l < MOE_LAYERS; l++) {
            for (int e : experts) {
                units.add(new PrunedExperts.Unit(l, e));
            }
        }
        return PrunedExperts.of(MOE_LAYERS, EXPERTS, units);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The first of {@code n} consecutive ports that are free now. */
    private static int freePortRange(int n) throws IOException {
        for (int base = 31000 + (int) (ProcessHandle.current().pid() % 3000) * 8; ; base += n) {
            boolean free = true;
            for (int p = base; p < base + n && free; p++) {
                try (ServerSocket s = new ServerSocket(p)) {
                    s.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
    }
}
