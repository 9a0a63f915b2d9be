package io.moemesh.router.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.ExpertsUnavailableException;
import io.moemesh.core.model.RoutingObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Top-k > 2 through in-process expert endpoints: whatever the placement, a token's experts are
 * added in ascending order exactly as {@code LocalExperts} adds them, so logits and greedy tokens
 * equal the in-process engine's bit for bit (ADR 0001, addendum on k > 2).
 */
class RemoteExpertsTopKTest {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Hello, world!", "Zürich", "The quick brown fox");
    private static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0, 16, List.of(), true);
    /** A failed call opens no breaker for the rest of the test. */
    private static final DispatchProperties PATIENT_BREAKER =
            DispatchProperties.builder().callTimeout(Duration.ofSeconds(10)).breakerWindow(100).breakerFailureRate(100f).breakerOpenFor(Duration.ofMillis(200)).build();

    private static ModelConfig config;

    @BeforeAll
    static void loadConfig() {
        config = ModelConfig.load(MODEL);
    }

    private static RemoteExperts connect(ExpertCluster cluster, DispatchProperties properties) {
        return RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel, config.numLayers(), config.numExperts(),
                config.hiddenSize(), properties);
    }

    private static void assertSameAsInProcess(int topK, RemoteExperts experts) {
        try (InProcessEngine reference = InProcessEngine.open(MODEL, Kernels.best(), topK);
             InProcessEngine distributed = InProcessEngine.open(MODEL, Kernels.best(), topK, experts)) {
            for (String prompt : PROMPTS) {
                int[] ids = reference.tokenizer().encode(prompt);
                assertThat(distributed.score(ids, RoutingObserver.NONE)).as("top-%d logits of %s", topK, prompt)
                        .containsExactly(reference.score(ids, RoutingObserver.NONE));
                Generation remote = distributed.generate(prompt, GREEDY, TokenListener.NONE);
                assertThat(remote.tokenIds()).as("top-%d greedy tokens of %s", topK, prompt)
                        .containsExactly(reference.generate(prompt, GREEDY, TokenListener.NONE).tokenIds());
            }
        }
    }

    @Test
    void topThreeOverCoHostedExpertsOnThreeEndpointsMatchesTheInProcessEngineBitForBit() {
        List<Set<Integer>> placement = List.of(Set.of(0, 2, 4), Set.of(1, 3, 5), Set.of(6, 7));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement)) {
            assertSameAsInProcess(3, connect(cluster, DispatchProperties.defaults()));
            assertThat(cluster.services).as("some tokens' experts on one endpoint are not a prefix of their list")
                    .anyMatch(s -> s.perUnitTokens.get() > 0);
        }
    }

    @Test
    void topFourOverFourEndpointsWithPartnerUnitsMatchesTheInProcessEngineBitForBit() {
        // endpoints 0..3 are one service each for two experts; endpoint 3 also hosts partners 0 and 5
        List<Set<Integer>> placement = List.of(Set.of(0, 4), Set.of(1, 5), Set.of(2, 6), Set.of(3, 7, 0, 5));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement)) {
            assertSameAsInProcess(4, connect(cluster, DispatchProperties.defaults()));
            assertThat(cluster.services).anyMatch(s -> s.perUnitTokens.get() > 0);
        }
    }

    /**
     * The other families' tiny checkpoints at their own top-k: Qwen3-MoE (top-8 of 32, per-head q/k
     * norms), OLMoE (top-8 of 32, not renormalised), Qwen2-MoE (top-4 of 16, a gated shared expert, a
     * dense middle layer) and DeepSeek-MoE (top-4 of 16, a dense first layer, shared experts), four
     * experts per endpoint in an interleaved order so a token's experts are split and co-hosted.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-qwen3-moe", "tiny-olmoe", "tiny-qwen2-moe", "tiny-deepseek-moe"})
    void everyFamilyOverCoHostedEndpointsMatchesTheInProcessEngineBitForBit(String name) {
        Path model = MODEL.resolveSibling(name);
        ModelConfig family = ModelConfig.load(model);
        int endpoints = family.numExperts() / 4;
        List<Set<Integer>> placement = IntStream.range(0, endpoints)
                .mapToObj(p -> IntStream.range(0, family.numExperts()).filter(e -> e % endpoints == p)
                        .boxed().collect(Collectors.toSet()))
                .toList();
        try (ExpertCluster cluster = new ExpertCluster(model, placement);
             RemoteExperts experts = RemoteExperts.connect(cluster.endpoints, ExpertCluster::channel,
                     family.numMoeLayers(), family.numExperts(), family.hiddenSize(), DispatchProperties.defaults());
             InProcessEngine reference = InProcessEngine.open(model, Kernels.best(), 0);
             InProcessEngine distributed = InProcessEngine.open(model, Kernels.best(), 0, experts)) {
            for (String prompt : PROMPTS) {
                int[] ids = reference.tokenizer().encode(prompt);
                assertThat(distributed.score(ids, RoutingObserver.NONE)).as("%s logits of %s", name, prompt)
                        .containsExactly(reference.score(ids, RoutingObserver.NONE));
                assertThat(distributed.generate(prompt, GREEDY, TokenListener.NONE).tokenIds())
                        .as("%s greedy tokens of %s", name, prompt)
                        .containsExactly(reference.generate(prompt, GREEDY, TokenListener.NONE).tokenIds());
            }
            assertThat(cluster.services).as("some tokens' experts on one endpoint are not a prefix of their list")
                    .anyMatch(s -> s.perUnitTokens.get() > 0);
        }
    }

    @Test
    void topFourOverTwoEndpointsMatchesTheInProcessEngineBitForBit() {
        List<Set<Integer>> placement = List.of(Set.of(0, 1, 2, 3), Set.of(4, 5, 6, 7));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement)) {
            assertSameAsInProcess(4, connect(cluster, DispatchProperties.defaults()));
        }
    }

    /**
     * The retry regroups a token's experts: 0 is answered by endpoint 0, 1 and 2 fail on endpoints
     * 1 and 2 and go together to endpoint 3. Adding that endpoint's sum after expert 0 would give
     * {@code p₀ + (p₁ + p₂)}, not the in-process {@code (p₀ + p₁) + p₂}.
     */
    @Test
    void aRetryThatSendsTwoOfATokensExpertsToOneReplicaKeepsTheInProcessBits() {
        List<Set<Integer>> placement = List.of(Set.of(0), Set.of(1), Set.of(2), Set.of(1, 2));
        int[][] routes = {{0, 1, 2}};
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement);
             RemoteExperts experts = connect(cluster, PATIENT_BREAKER)) {
            cluster.services.get(1).down.set(true);
            cluster.services.get(2).down.set(true);

            float[] out = LayerZero.combine(experts, config.hiddenSize(), routes);

            assertThat(cluster.services.get(3).computeCalls.get()).as("the retry went to the replica").isEqualTo(1);
            assertThat(out).containsExactly(LayerZero.inProcess(MODEL, routes));
        }
    }

    @Test
    void topTwoRequestsAndAnswersCarryOneRowPerTokenSendAsBefore() {
        List<Set<Integer>> placement = List.of(Set.of(0, 1), Set.of(2, 3), Set.of(4, 5, 6), Set.of(7));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement);
             RemoteExperts experts = connect(cluster, DispatchProperties.defaults())) {
            assertSameAsInProcess(2, experts);

            RemoteExperts.Traffic traffic = experts.traffic();
            long rowBytes = 4L * config.hiddenSize(); // F32 both ways
            assertThat(traffic.tokenSends()).isPositive();
            assertThat(traffic.bytesSent()).isEqualTo(traffic.tokenSends() * rowBytes);
            assertThat(traffic.bytesReceived()).isEqualTo(traffic.tokenSends() * rowBytes);
            assertThat(cluster.services).allMatch(s -> s.perUnitTokens.get() == 0);
        }
    }

    @Test
    void anEndpointThatIgnoresPerUnitOutputsFailsItsCallAndAReplicaThatHonoursThemAnswers() {
        // token {0, 1, 2}: 0 on endpoint 0, then 1 and 2 together on endpoint 1 (not a prefix: per-unit)
        List<Set<Integer>> placement = List.of(Set.of(0), Set.of(1, 2), Set.of(1, 2));
        int[][] routes = {{0, 1, 2}};
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement);
             RemoteExperts experts = connect(cluster, PATIENT_BREAKER)) {
            cluster.services.get(1).predatesPerUnitOutputs.set(true);

            float[] out = LayerZero.combine(experts, config.hiddenSize(), routes);

            assertThat(out).containsExactly(LayerZero.inProcess(MODEL, routes));
            assertThat(experts.traffic().failedCalls()).as("the old endpoint's one-row answer was refused")
                    .isEqualTo(1);
            assertThat(cluster.services.get(2).computeCalls.get()).isEqualTo(1);
        }
    }

    @Test
    void withOnlyAnEndpointThatIgnoresPerUnitOutputsTheExpertsAreReportedUnavailableSayingWhy() {
        List<Set<Integer>> placement = List.of(Set.of(0), Set.of(1, 2));
        try (ExpertCluster cluster = new ExpertCluster(MODEL, placement);
             RemoteExperts experts = connect(cluster, PATIENT_BREAKER)) {
            cluster.services.get(1).predatesPerUnitOutputs.set(true);

            assertThatThrownBy(() -> LayerZero.combine(experts, config.hiddenSize(), new int[][] {{0, 1, 2}}))
                    .isInstanceOfSatisfying(ExpertsUnavailableException.class,
                            e -> assertThat(e.experts()).containsExactlyInAnyOrder(1, 2))
                    .cause().hasMessageContaining("endpoint-1 answered 1 output rows; 2 expected")
                    .hasMessageContaining("predates TokenRoute.per_unit_outputs");
        }
    }
}
