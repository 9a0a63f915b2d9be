package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.model.PrunedExperts;
import io.moemesh.core.model.RoutingObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java engine with whole experts pruned against PyTorch: {@code tools/reference/pruned_golden.py} masked
 * the same experts in every MoE layer of mesh-mini-16e (next-best experts, renormalised) and recorded the
 * greedy ids, the first step's top-20 logits and the token-steps routed away from each pruned expert, for
 * prompts in two languages and four pruned sets (none, the 2 and 4 coldest, a language-skew set).
 */
class PrunedGoldenVectorTest {

    static final Path GOLDEN = TestModels.resource("golden/pruned-mesh-mini-16e.json");

    /** The prompts {@code pruned_golden.py} runs, two per language, each with every pruned set. */
    static final List<String> PROMPTS = List.of("Der Mensch ist ", "Ein Mann ", "Без труда ", "Жизнь — это ");
    static final List<String> PRUNED_SETS = List.of("none", "coldest-2", "coldest-4", "skew-de");

    static Stream<Arguments> kernels() {
        return Stream.of(Arguments.of("vector", Kernels.best()), Arguments.of("scalar", Kernels.scalar()));
    }

    /** The other tests loop over the file's cases, so an empty or cut-short golden file would pass them all. */
    @Test
    void goldenFileHoldsEveryPromptWithEveryPrunedSet() {
        PrunedGoldenVectors golden = PrunedGoldenVectors.read(GOLDEN);
        assertThat(golden.cases()).extracting(c -> c.prompt() + " / " + c.prunedSet())
                .containsExactlyInAnyOrderElementsOf(PROMPTS.stream()
                        .flatMap(p -> PRUNED_SETS.stream().map(set -> p + " / " + set)).toList());
        assertThat(golden.greedySteps()).isPositive();
        for (PrunedGoldenVectors.Case c : golden.cases()) {
            assertThat(c.inputIds()).as(where(c)).isNotEmpty();
            assertThat(c.greedy()).as(where(c)).hasSize(golden.greedySteps());
            assertThat(c.firstStep().ids()).as(where(c)).hasSize(20);
            assertThat(c.prunedExperts().length == 0).as(where(c)).isEqualTo(c.prunedSet().equals("none"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void greedyContinuationWithExpertsPrunedEqualsTheReference(String name, Kernels kernels) {
        PrunedGoldenVectors golden = PrunedGoldenVectors.read(GOLDEN);
        try (InProcessEngine engine = InProcessEngine.open(TestModels.meshMini(), kernels, 0)) {
            ModelConfig config = engine.config();
            SamplingParams greedy = new SamplingParams(0f, 0, 1f, 0, golden.greedySteps(), List.of(), true);
            for (PrunedGoldenVectors.Case c : golden.cases()) {
                assertThat(engine.tokenizer().encode(c.prompt())).as(c.prompt()).containsExactly(c.inputIds());
                List<Generation> out = engine.generateIds(List.of(c.inputIds()), List.of(greedy),
                        c.mask(config.numMoeLayers(), config.numExperts()), TokenListener.NONE);
                assertThat(out.getFirst().tokenIds()).as(where(c)).containsExactly(c.greedy());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void firstStepLogitsAndRoutedAwayTokenStepsEqualTheReference(String name, Kernels kernels) {
        PrunedGoldenVectors golden = PrunedGoldenVectors.read(GOLDEN);
        try (InProcessEngine engine = InProcessEngine.open(TestModels.meshMini(), kernels, 0)) {
            ModelConfig config = engine.config();
            int vocab = config.vocabSize();
            for (PrunedGoldenVectors.Case c : golden.cases()) {
                PrunedExperts mask = c.mask(config.numMoeLayers(), config.numExperts());
                int[] processed = IntStream.concat(Arrays.stream(c.inputIds()),
                        Arrays.stream(c.greedy(), 0, c.greedy().length - 1)).toArray();
                PruneCounter counter = new PruneCounter(c.inputIds().length);
                float[] logits = engine.score(processed, mask, counter);
                int last = (c.inputIds().length - 1) * vocab;
                GoldenVectors.TopLogits expected = c.firstStep();
                assertThat(Sampler.argmax(logits, last, vocab)).as(where(c)).isEqualTo(expected.ids()[0]);
                for (int i = 0; i < expected.ids().length; i++) {
                    assertThat(logits[last + expected.ids()[i]]).as(where(c) + " id " + expected.ids()[i])
                            .isCloseTo(expected.values()[i], within(GoldenVectorTest.LOGIT_TOLERANCE));
                }
                assertThat(counter.routedAway()).as(where(c)).containsExactlyElementsOf(c.routedAway());
            }
        }
    }

    private static String where(PrunedGoldenVectors.Case c) {
        return "'" + c.prompt() + "' pruned " + c.prunedSet() + " " + Arrays.toString(c.prunedExperts());
    }

    /** Counts onPrune per (layer, expert), split at the prompt's end. */
    private static final class PruneCounter implements RoutingObserver {
        private final int promptLength;
        private final TreeMap<Long, int[]> counts = new TreeMap<>();

        PruneCounter(int promptLength) {
            this.promptLength = promptLength;
        }

        @Override
        public void onRoute(int layer, int token, GateDecision decision) {
        }

        @Override
        public void onPrune(int layer, int token, int expert) {
            counts.computeIfAbsent((long) layer << 32 | expert, k -> new int[2])[token < promptLength ? 0 : 1]++;
        }

        List<PrunedGoldenVectors.RoutedAway> routedAway() {
            List<PrunedGoldenVectors.RoutedAway> out = new ArrayList<>();
            counts.forEach((key, n) -> out.add(
                    new PrunedGoldenVectors.RoutedAway((int) (key >>> 32), (int) (long) key, n[0], n[1])));
            return out;
        }
    }
}
