package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.proto.internal.v1.DType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router's expert dispatch against in-process expert endpoints, compared with the in-process engine. */
class RemoteExpertsTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich", "The quick brown fox");
    private static final DispatchProperties FAST_BREAKER =
            new DispatchProperties(Duration.ofSeconds(2), DType.DTYPE_F32, 4, 50f, Duration.ofMillis(200));

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
            a.score(new int[] {'x'}, RoutingObserver.NONE);
            b.score(new int[] {'x'}, RoutingObserver.NONE);

            assertThat(split.totalComputeCalls()).isEqualTo(2 * config.numLayers()); // top-2: two experts, two endpoints
            assertThat(paired.totalComputeCalls()).isBetween(config.numLayers(), 2 * config.numLayers());
        }
    }

    @Test
    void aDownReplicaIsRetriedOnAnotherWithoutChangingTheResult() {
        List<Set<Integer>> twoReplicas = new ArrayList<>(onePerExpert());
        twoReplicas.addAll(onePerExpert());
        try (ExpertCluster cluster = new ExpertCluster(MODEL, twoReplicas)) {
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
        try (ExpertCluster cluster = new ExpertCluster(MODEL, onePerExpert());
             RemoteExperts experts = connect(cluster, FAST_BREAKER);
             InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), 0, experts)) {
            List<int[]> healthy = new ArrayList<>();
            logits(distributed, "breaker", (l, t, d) -> healthy.add(d.experts()));
            int down = healthy.getFirst()[0];
            cluster.services.get(down).down.set(true);

            logits(distributed, "breaker", RoutingObserver.NONE);
            logits(distributed, "breaker", RoutingObserver.NONE);
            assertThat(experts.isAvailable(0, down)).isFalse();

            cluster.services.get(down).down.set(false);
            await().atMost(Duration.ofSeconds(5)).until(() -> experts.isAvailable(0, down));
            logits(distributed, "breaker", RoutingObserver.NONE); // the trial call succeeds and closes the breaker
            assertThat(logits(distributed, "breaker", RoutingObserver.NONE))
                    .containsExactly(logits(reference, "breaker", RoutingObserver.NONE));
        }
    }
}
