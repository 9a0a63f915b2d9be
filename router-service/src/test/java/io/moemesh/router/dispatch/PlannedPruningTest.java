package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.PrunedExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.routing.RoutingStatsWindow;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.core.tokenizer.TextTokenizer;
import io.moemesh.core.tokenizer.TokenizerConfig;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.ExpertEndpointsState;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.proto.internal.v1.PrunedUnit;
import io.moemesh.proto.internal.v1.SetPrunedExpertsRequest;
import io.moemesh.proto.v1.Completion;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.proto.v1.SamplingParams.Builder;
import io.moemesh.proto.validation.RequestLimits;
import io.moemesh.router.batching.BatchScheduler;
import io.moemesh.router.batching.SchedulerProperties;
import io.moemesh.router.grpc.ExpertEndpointsGrpcService;
import io.moemesh.router.grpc.PruningTarget;
import io.moemesh.router.grpc.RouterGrpcService;
import io.moemesh.router.grpc.ServedModel;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Planned pruning through the router's gRPC services over remote expert endpoints: after
 * SetPrunedExperts the router's tokens equal the in-process engine's with the same experts masked, the
 * completion names the pruned experts without being degraded, the pruned expert's endpoint gets no call,
 * a request that refuses pruned experts fails alone, and clearing the set restores the unmasked tokens.
 */
class PlannedPruningTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "The quick brown fox");
    private static final int MAX_TOKENS = 12;
    private static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0, MAX_TOKENS, List.of(), true);

    private static ModelConfig config;
    /** The expert the prompts' tokens are routed to most: pruning it surely changes something. */
    private static int busiest;

    private ExpertCluster cluster;
    private Checkpoint checkpoint;
    private TextTokenizer tokenizer;
    private BatchScheduler scheduler;
    private RoutingStatsWindow statistics;
    private Server server;
    private ManagedChannel channel;

    @BeforeAll
    static void findTheBusiestExpert() {
        config = ModelConfig.load(MODEL);
        int[] counts = new int[config.numExperts()];
        RoutingObserver counter = (layer, token, d) -> {
            for (int e : d.experts()) {
                counts[e]++;
            }
        };
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            PROMPTS.forEach(p -> engine.score(engine.tokenizer().encode(p), counter));
        }
        busiest = IntStream.range(0, counts.length).reduce((a, b) -> counts[b] > counts[a] ? b : a).orElseThrow();
    }

    @BeforeEach
    void start() throws Exception {
        // the busiest expert alone on endpoint 2, so its calls show whether pruned tokens still go there
        List<Set<Integer>> placement = List.of(new HashSet<>(), new HashSet<>(), Set.of(busiest));
        for (int e = 0; e < config.numExperts(); e++) {
            if (e != busiest) {
                placement.get(e % 2).add(e);
            }
        }
        cluster = new ExpertCluster(MODEL, placement);
        RemoteExperts remote = RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel, config.numMoeLayers(),
                config.numExperts(), config.hiddenSize(), DispatchProperties.defaults());
        checkpoint = Checkpoint.open(MODEL);
        tokenizer = TextTokenizer.load(MODEL);
        DenseTransformer dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        statistics = new RoutingStatsWindow(config.numMoeLayers(), config.numExperts(), Duration.ofHours(1), 4,
                Clock.systemUTC());
        scheduler = new BatchScheduler(dense, remote, tokenizer, SchedulerProperties.defaults(), statistics);
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(new RouterGrpcService(new ServedModel("tiny-random", config, dense.topK(),
                        TokenizerConfig.load(MODEL)), tokenizer, scheduler, 10_000,
                        new RequestLimits(32_768, 8_192, 2_048, 256, 8)))
                .addService(new ExpertEndpointsGrpcService(Optional.of(remote), new PruningTarget(scheduler.pruning(),
                        config.numMoeLayers(), config.numExperts(), dense.topK())))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        scheduler.close();
        tokenizer.close();
        checkpoint.close();
        cluster.close();
    }

    private ExpertEndpointsGrpc.ExpertEndpointsBlockingStub endpoints() {
        return ExpertEndpointsGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Every MoE layer's unit of {@code expert}, as the placement controller sends a pruned expert. */
    private SetPrunedExpertsRequest pruneWhole(int expert) {
        SetPrunedExpertsRequest.Builder b = SetPrunedExpertsRequest.newBuilder().setReason("cold in the last window");
        for (int l = 0; l < config.numMoeLayers(); l++) {
            b.addUnits(PrunedUnit.newBuilder().setLayer(l).setExpert(expert));
        }
        return b.build();
    }

    private static PrunedExperts maskOf(int expert) {
        List<PrunedExperts.Unit> units = new ArrayList<>();
        for (int l = 0; l < config.numMoeLayers(); l++) {
            units.add(new PrunedExperts.Unit(l, expert));
        }
        return PrunedExperts.of(config.numMoeLayers(), config.numExperts(), units);
    }

    private static List<Integer> reference(String prompt, PrunedExperts pruned) {
        try (InProcessEngine engine = InProcessEngine.open(MODEL, Kernels.best(), 0)) {
            int[] ids = engine.generate(List.of(new GenerationRequest(prompt, GREEDY)), pruned, TokenListener.NONE)
                    .getFirst().tokenIds();
            return IntStream.of(ids).boxed().toList();
        }
    }

    private static GenerateRequest greedy(String prompt, boolean refusePruned) {
        Builder sampling = io.moemesh.proto.v1.SamplingParams.newBuilder().setTemperature(0f).setMaxTokens(MAX_TOKENS)
                .setIgnoreEos(true);
        return GenerateRequest.newBuilder().setPrompt(prompt).setSampling(sampling)
                .setRefusePrunedExperts(refusePruned).build();
    }

    private record Result(List<Integer> tokens, Completion completion) {
    }

    private Result generate(GenerateRequest request) {
        List<Integer> tokens = new ArrayList<>();
        Completion completion = null;
        Iterator<GenerateResponse> it = MoeMeshGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .generate(request);
        while (it.hasNext()) {
            GenerateResponse r = it.next();
            if (r.hasChunk()) {
                tokens.addAll(r.getChunk().getTokenIdsList());
            } else {
                completion = r.getCompletion();
            }
        }
        return new Result(tokens, completion);
    }

    @Test
    void servesWithThePrunedSetLikeTheInProcessEngineWithTheSameExpertsMasked() {
        scheduler.start();
        ExpertEndpointsState state = endpoints().setPrunedExperts(pruneWhole(busiest));
        int callsBefore = cluster.services.get(2).computeCalls.get();

        for (String prompt : PROMPTS) {
            Result served = generate(greedy(prompt, false));

            assertThat(served.tokens()).as(prompt).isEqualTo(reference(prompt, maskOf(busiest)));
            assertThat(served.completion().getDegraded()).isFalse();
            assertThat(served.completion().getSkippedExpertsList()).isEmpty();
            assertThat(served.completion().getPrunedExpertsList()).allMatch(p -> p.getExpert() == busiest);
        }
        assertThat(generate(greedy(PROMPTS.getFirst(), false)).completion().getPrunedExpertsList())
                .isNotEmpty().allMatch(p -> p.getTokens() > 0);
        assertThat(cluster.services.get(2).computeCalls.get()).as("calls to the pruned expert's endpoint")
                .isEqualTo(callsBefore);
        assertThat(state.getPrunedList()).hasSize(config.numMoeLayers()).allMatch(u -> u.getExpert() == busiest);
        assertThat(state.getPrunedReason()).isEqualTo("cold in the last window");
        assertThat(state.getEndpointsCount()).isEqualTo(3);
        assertThat(scheduler.stats().prunedTokenSteps()).isPositive();
        assertThat(scheduler.stats().degradedTokens()).isZero();
        long[][] demand = statistics.snapshot().expertTokens();
        assertThat(IntStream.range(0, config.numMoeLayers()).mapToLong(l -> demand[l][busiest]).sum())
                .as("routing statistics still see the demand for the pruned expert").isPositive();
    }

    @Test
    void clearingThePrunedSetRestoresTheUnmaskedTokens() {
        scheduler.start();
        endpoints().setPrunedExperts(pruneWhole(busiest));
        String prompt = PROMPTS.getLast();
        List<Integer> pruned = generate(greedy(prompt, false)).tokens();

        ExpertEndpointsState cleared = endpoints().setPrunedExperts(SetPrunedExpertsRequest.newBuilder()
                .setReason("traffic came back").build());
        Result restored = generate(greedy(prompt, false));

        assertThat(restored.tokens()).isEqualTo(reference(prompt, PrunedExperts.NONE)).isNotEqualTo(pruned);
        assertThat(restored.completion().getPrunedExpertsList()).isEmpty();
        assertThat(cleared.getPrunedList()).isEmpty();
        assertThat(cleared.getPrunedReason()).isEmpty();
        assertThat(endpoints().getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getPrunedList())
                .isEmpty();
    }

    @Test
    void aRequestThatRefusesPrunedExpertsFailsNamingTheExpertWhileItsBatchNeighbourIsServed() {
        endpoints().setPrunedExperts(pruneWhole(busiest)); // before the scheduler runs: nothing to drain
        String prompt = PROMPTS.getFirst();
        CompletableFuture<Result> refusing = CompletableFuture.supplyAsync(() -> generate(greedy(prompt, true)));
        CompletableFuture<Result> normal = CompletableFuture.supplyAsync(() -> generate(greedy(prompt, false)));
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.load() == 2); // both join one batch

        scheduler.start();

        assertThatThrownBy(refusing::join).hasCauseInstanceOf(StatusRuntimeException.class).cause()
                .satisfies(e -> {
                    Status status = ((StatusRuntimeException) e).getStatus();
                    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(status.getDescription()).contains("expert " + busiest).contains("pruned")
                            .contains("refuse_pruned_experts");
                });
        Result served = normal.join();
        assertThat(served.tokens()).isEqualTo(reference(prompt, maskOf(busiest)));
        assertThat(served.completion().getPrunedExpertsList()).isNotEmpty();
    }

    @Test
    void refusesASetOutsideTheModelOrLeavingTooFewExpertsAndKeepsThePreviousOne() {
        endpoints().setPrunedExperts(pruneWhole(busiest));
        SetPrunedExpertsRequest outside = SetPrunedExpertsRequest.newBuilder()
                .addUnits(PrunedUnit.newBuilder().setLayer(config.numMoeLayers()).setExpert(0)).build();
        SetPrunedExpertsRequest.Builder tooMany = SetPrunedExpertsRequest.newBuilder();
        for (int e = 0; e <= config.numExperts() - config.expertsPerToken(); e++) {
            tooMany.addUnits(PrunedUnit.newBuilder().setLayer(0).setExpert(e));
        }

        assertInvalid(outside, "outside the model");
        assertInvalid(tooMany.build(), "prune at most " + (config.numExperts() - config.expertsPerToken()));
        assertThat(endpoints().getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getPrunedList())
                .hasSize(config.numMoeLayers()).allMatch(u -> u.getExpert() == busiest);
    }

    private void assertInvalid(SetPrunedExpertsRequest request, String description) {
        assertThatThrownBy(() -> endpoints().setPrunedExperts(request))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains(description).contains("keeps its previous");
                });
    }
}
