package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.model.LocalExperts;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.core.safetensors.Checkpoint;
import io.moemesh.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router's expert dispatch against in-process expert endpoints, compared with the in-process engine. */
class RemoteExpertsTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich", "The quick brown fox");
    /** Opens after two failed calls, for a minute of a {@link ManualClock}'s time. */
    private static final DispatchProperties FAST_BREAKER =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(2)).breakerWindow(4)
                    .breakerOpenFor(Duration.ofMinutes(1)).build();
    /** One call in flight per endpoint; one recorded failure would open a breaker for a minute. */
    private static final DispatchProperties ONE_CALL_PER_ENDPOINT =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(30)).breakerWindow(1)
                    .breakerOpenFor(Duration.ofMinutes(1)).maxConcurrentCalls(1).build();

    private static ModelConfig config;
    private static InProcessEngine reference;

    @BeforeAll
    static void loadReference() {
        config = ModelConfig.load(MODEL);
        reference = InProcessEngine.open(MODEL, Kernels.best(), 0);
    }

    @AfterAll
    static void closeReference() {
        reference.close();
    }

    private static List<Set<Integer>> onePerExpert() {
        return IntStream.range(0, config.numExperts()).mapToObj(Set::of).toList();
    }

    private static RemoteExperts connect(ExpertCluster cluster, DispatchProperties properties) {
        return RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel, config.numLayers(), config.numExperts(),
                config.hiddenSize(), properties);
    }

    private static List<Set<Integer>> twoReplicasPerExpert() {
        List<Set<Integer>> placement = new ArrayList<>(onePerExpert());
        placement.addAll(onePerExpert());
        return placement;
    }

    /** Layer 0 for one token (fixed seed) sent to {@code expert} alone. */
    private static float[] combineOneToken(ExpertDispatch experts, int expert) {
        float[] hidden = new float[config.hiddenSize()];
        Random random = new Random(42);
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        float[] out = new float[hidden.length];
        experts.combine(0, hidden, 1, new GateDecision[] {new GateDecision(new int[] {expert}, new float[] {1f})}, out);
        return out;
    }

    /** Layer 0 for one token per route (fixed seed), each route's experts weighted equally. */
    private static void combine(ExpertDispatch experts, int[][] routes) {
        LayerZero.combine(experts, config.hiddenSize(), routes);
    }

    private static float[] inProcess(int expert) {
        try (Checkpoint checkpoint = Checkpoint.open(MODEL)) {
            return combineOneToken(LocalExperts.load(checkpoint, config, Kernels.best()), expert);
        }
    }

    /** Fills the bulkhead of an endpoint: a step on another thread whose call {@code service} holds unanswered. */
    private static CompletableFuture<float[]> occupy(RemoteExperts experts, FakeExpertService service, int expert) {
        service.hold.set(true);
        CompletableFuture<float[]> step = CompletableFuture.supplyAsync(() -> combineOneToken(experts, expert));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.heldCalls() == 1);
        return step;
    }

    private static float[] logits(InProcessEngine engine, String prompt, RoutingObserver observer) {
        return engine.score(engine.tokenizer().encode(prompt), observer);
    }

    private static void assertSameAsInProcess(RemoteExperts experts) {
        try (InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), 0, experts)) {
            for (String prompt : PROMPTS) {
                assertThat(logits(distributed, prompt, RoutingObserver.NONE)).as(prompt)
                        .containsExactly(logits(reference, prompt, RoutingObserver.NONE));
                SamplingParams greedy = new SamplingParams(0f, 0, 1f, 0, 16, List.of(), true);
                Generation remote = distributed.generate(prompt, greedy, TokenListener.NONE);
                assertThat(remote.tokenIds()).as(prompt)
                        .containsExactly(reference.generate(prompt, greedy, TokenListener.NONE).tokenIds());
            }
        }
    }

    @Test
    void oneServicePerExpertMatchesTheInProcessEngineBitForBit() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert())) {
            assertSameAsInProcess(connect(cluster, DispatchProperties.defaults()));
        }
    }

    @Test
    void coLocatedPairsMatchTheInProcessEngineBitForBit() {
        List<Set<Integer>> pairs = List.of(Set.of(0, 1), Set.of(2, 3), Set.of(4, 5, 6), Set.of(7));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, pairs)) {
            assertSameAsInProcess(connect(cluster, DispatchProperties.defaults()));
        }
    }

    @Test
    void sendsOneCallPerLayerStepWhenOneEndpointHostsEverything() {
        Set<Integer> all = Set.copyOf(IntStream.range(0, config.numExperts()).boxed().toList());
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(all));
             InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), 0, connect(cluster, DispatchProperties.defaults()))) {
            logits(distributed, "co-hosted", RoutingObserver.NONE);

            assertThat(cluster.totalComputeCalls()).isEqualTo(config.numLayers());
        }
    }

    @Test
    void aTokenWhosePairIsCoHostedCostsOneCallNotTwo() {
        try (ExpertCluster split = new ExpertCluster(MODEL, onePerExpert());
             ExpertCluster paired = new ExpertCluster(MODEL, List.of(Set.of(0, 1, 2, 3), Set.of(4, 5, 6, 7)));
             InProcessEngine a = InProcessEngine.open(MODEL, Kernels.best(), 0, connect(split, DispatchProperties.defaults()));
             InProcessEngine b = InProcessEngine.open(MODEL, Kernels.best(), 0, connect(paired, DispatchProperties.defaults()))) {
            List<int[]> routes = new ArrayList<>();
            a.score(new int[] {'x'}, RoutingObserver.NONE);
            b.score(new int[] {'x'}, (layer, token, d) -> routes.add(d.experts()));

            // per layer, one call to each half of the experts the token's pair falls in
            long halvesTouched = routes.stream()
                    .mapToLong(r -> IntStream.of(r).map(e -> e / 4).distinct().count()).sum();
            assertThat(routes).hasSize(config.numLayers()).allSatisfy(r -> assertThat(r).hasSize(2));
            assertThat(halvesTouched).as("tiny-random routes 'x' to one half in one layer, to both in the other")
                    .isEqualTo(3).isLessThan(2L * config.numLayers());
            assertThat(split.totalComputeCalls()).isEqualTo(2 * config.numLayers()); // top-2: two experts, two endpoints
            assertThat(paired.totalComputeCalls()).isEqualTo(halvesTouched);
        }
    }

    @Test
    void countsEachCallsTokensOncePerEndpointAndEachTokenOncePerLayerStep() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, List.of(Set.of(0, 1), Set.of(2, 3), Set.of(4, 5, 6, 7)));
             RemoteExperts experts = connect(cluster, DispatchProperties.defaults())) {
            // token 0's pair is co-hosted on endpoint 0; tokens 1 and 2 each span two endpoints
            combine(experts, new int[][] {{0, 1}, {1, 2}, {2, 5}});

            long rowBytes = 4L * config.hiddenSize(); // F32 both ways
            RemoteExperts.Traffic traffic = experts.traffic();
            assertThat(traffic).usingRecursiveComparison().ignoringFields("stepTimes", "phases").isEqualTo(
                    new RemoteExperts.Traffic(3, 1 + 2 + 2, 3, 5 * rowBytes, 5 * rowBytes, 1, null, 0, null));
            assertThat(Arrays.stream(traffic.stepTimes().counts()).sum()).as("one layer step timed").isEqualTo(1);
            RemoteExperts.Phases phases = traffic.phases();
            assertThat(phases.sendNanos()).isPositive();
            assertThat(phases.waitNanos()).isPositive();
            assertThat(phases.mergeNanos()).isPositive();
            assertThat(phases.slowestServerNanos()).as("the slowest of the step's answers").isEqualTo(
                    FakeExpertService.SERVER_NANOS);
            assertThat(phases.stepNanos()).isGreaterThanOrEqualTo(
                    phases.sendNanos() + phases.waitNanos() + phases.mergeNanos());
        }
    }

    @Test
    void aFailedCallAndItsRetryAreBothCountedButTheTokenLayerOnce() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, twoReplicasPerExpert());
             RemoteExperts experts = connect(cluster, DispatchProperties.defaults())) {
            cluster.services.get(3).down.set(true); // first replica of expert 3

            combineOneToken(experts, 3);

            long rowBytes = 4L * config.hiddenSize();
            assertThat(experts.traffic()).usingRecursiveComparison().ignoringFields("stepTimes", "phases").isEqualTo(
                    new RemoteExperts.Traffic(2, 2, 1, 2 * rowBytes, rowBytes, 1, null, 1, null));
        }
    }

    @Test
    void aDownReplicaIsRetriedOnAnotherWithoutChangingTheResult() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, twoReplicasPerExpert())) {
            cluster.services.get(3).down.set(true); // first replica of expert 3
            cluster.services.get(5).down.set(true);
            assertSameAsInProcess(connect(cluster, DispatchProperties.defaults()));
        }
    }

    @Test
    void whenEveryReplicaOfAnExpertIsDownTokensAreReroutedAndReported() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), 0, connect(cluster, DispatchProperties.defaults()))) {
            List<int[]> healthy = new ArrayList<>();
            logits(distributed, "The quick brown fox", (l, t, d) -> healthy.add(d.experts()));
            int down = healthy.getFirst()[0];
            cluster.services.get(down).down.set(true);
            List<GateDecision> routes = new ArrayList<>();
            List<Integer> skipped = new ArrayList<>();

            logits(distributed, "The quick brown fox", new RoutingObserver() {
                @Override
                public void onRoute(int layer, int token, GateDecision d) {
                    routes.add(d);
                }

                @Override
                public void onSkip(int layer, int token, int expert) {
                    skipped.add(expert);
                }
            });

            assertThat(skipped).isNotEmpty().containsOnly(down);
            assertThat(routes).noneMatch(d -> IntStream.of(d.experts()).anyMatch(e -> e == down));
        }
    }

    @Test
    void theBreakerOpensOnAFailingEndpointAndClosesAfterItRecovers() {
        ManualClock clock = new ManualClock();
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             RemoteExperts experts = RemoteExperts.connect(cluster.endpoints,
                     new ExpertConnections(ExpertCluster::channel, FAST_BREAKER, clock), config.numLayers(),
                     config.numExperts(), config.hiddenSize(), DispatchTracing.OFF);
             InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), 0, experts)) {
            List<int[]> healthy = new ArrayList<>();
            logits(distributed, "breaker", (l, t, d) -> healthy.add(d.experts()));
            int down = healthy.getFirst()[0];
            cluster.services.get(down).down.set(true);

            logits(distributed, "breaker", RoutingObserver.NONE);
            logits(distributed, "breaker", RoutingObserver.NONE);
            assertThat(experts.isAvailable(0, down)).isFalse();

            cluster.services.get(down).down.set(false);
            clock.advance(FAST_BREAKER.breakerOpenFor());
            assertThat(experts.isAvailable(0, down)).as("open for exactly its wait: not over yet").isFalse();
            clock.advance(Duration.ofMillis(1));
            assertThat(experts.isAvailable(0, down)).isTrue();
            logits(distributed, "breaker", RoutingObserver.NONE); // the trial call succeeds and closes the breaker
            assertThat(logits(distributed, "breaker", RoutingObserver.NONE))
                    .containsExactly(logits(reference, "breaker", RoutingObserver.NONE));
        }
    }

    @Test
    void aBusyReplicaIsSkippedForAnotherWithoutChangingTheResult() throws Exception {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, twoReplicasPerExpert());
             RemoteExperts experts = connect(cluster, ONE_CALL_PER_ENDPOINT)) {
            FakeExpertService first = cluster.services.get(3);
            FakeExpertService second = cluster.services.get(3 + config.numExperts());
            CompletableFuture<float[]> busy = occupy(experts, first, 3);

            float[] out = combineOneToken(experts, 3);

            assertThat(first.computeCalls.get()).as("the refused call never reached the busy replica").isEqualTo(1);
            assertThat(second.computeCalls.get()).isEqualTo(1);
            assertThat(out).containsExactly(inProcess(3));
            first.releaseHeld();
            assertThat(busy.get(10, TimeUnit.SECONDS)).containsExactly(out);
            RemoteExperts.Traffic traffic = experts.traffic();
            assertThat(traffic.calls()).as("the held call and the one to the second replica; not the refused one")
                    .isEqualTo(2);
            assertThat(traffic.tokenSends()).isEqualTo(2);
            assertThat(traffic.tokenLayers()).isEqualTo(2);
        }
    }

    @Test
    void aBulkheadRefusalDoesNotCountAgainstTheBreaker() throws Exception {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, twoReplicasPerExpert());
             RemoteExperts experts = connect(cluster, ONE_CALL_PER_ENDPOINT)) {
            FakeExpertService first = cluster.services.get(3);
            CompletableFuture<float[]> busy = occupy(experts, first, 3);
            combineOneToken(experts, 3); // refused by the first replica, served by the second
            first.hold.set(false);
            first.releaseHeld();
            busy.get(10, TimeUnit.SECONDS);

            combineOneToken(experts, 3);

            assertThat(first.computeCalls.get()).as("the first replica is still preferred: its breaker is closed")
                    .isEqualTo(2);
        }
    }

    @Test
    void anExpertWhoseEveryReplicaIsBusyIsReportedUnavailableAtOnce() throws Exception {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             RemoteExperts experts = connect(cluster, ONE_CALL_PER_ENDPOINT)) {
            FakeExpertService only = cluster.services.get(3);
            CompletableFuture<float[]> busy = occupy(experts, only, 3);

            assertThatThrownBy(() -> combineOneToken(experts, 3))
                    .isInstanceOfSatisfying(ExpertsUnavailableException.class, e -> {
                        assertThat(e.layer()).isZero();
                        assertThat(e.experts()).containsExactly(3);
                    })
                    .cause().hasMessageContaining("endpoint-3 refused the call")
                    .hasMessageContaining("1 of 1 calls in flight");
            assertThat(only.computeCalls.get()).isEqualTo(1);
            only.releaseHeld();
            assertThat(busy.get(10, TimeUnit.SECONDS)).containsExactly(inProcess(3));
        }
    }

    @Test
    void anInterruptedStepCancelsItsCallsAndFreesTheirPermits() throws Exception {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             RemoteExperts experts = connect(cluster, ONE_CALL_PER_ENDPOINT)) {
            FakeExpertService only = cluster.services.get(3);
            only.hold.set(true);
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread step = Thread.ofPlatform().start(() -> {
                try {
                    combineOneToken(experts, 3);
                } catch (RuntimeException e) {
                    error.set(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> only.heldCalls() == 1);

            step.interrupt();
            step.join(Duration.ofSeconds(10));

            assertThat(error.get()).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
            only.hold.set(false);
            assertThat(combineOneToken(experts, 3)).as("the only permit is free long before the 30 s deadline")
                    .containsExactly(inProcess(3));
        }
    }

    @Test
    void aStepOnAnInterruptedThreadIsCancelledNotReroutedAsBusy() {
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             RemoteExperts experts = connect(cluster, ONE_CALL_PER_ENDPOINT)) {
            Thread.currentThread().interrupt();

            Throwable error = catchThrowable(() -> combineOneToken(experts, 3));

            assertThat(Thread.interrupted()).as("the interrupt is kept (and cleared here)").isTrue();
            assertThat(error).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
        }
    }
}
