package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java engine against PyTorch: golden vectors from {@code tools/reference} for the tiny model,
 * in BF16 (one file) and F16 (two shards), for the shipped default model, and for a tiny random
 * checkpoint of every other family (Qwen2-MoE, Qwen3-MoE, OLMoE, DeepSeek-MoE) in BF16 and F32, with
 * the scalar and the Vector API kernels. Routing is compared per MoE layer (dense layers route nothing).
 */
class GoldenVectorTest {

    /** Both sides compute in float32 from the same widened weights; only summation order differs. */
    static final float WEIGHT_TOLERANCE = 1e-4f;
    static final float LOGIT_TOLERANCE = 1e-3f;

    /** The prompts {@code tools/reference/golden.py} runs on every tiny checkpoint. */
    static final List<String> TINY_PROMPTS = List.of("Hello, world!", "Zürich — Ελληνικά", "A",
            "The quick brown fox jumps over a lazy dog", "Once upon a time, ");
    /** The prompts it runs on mesh-mini-16e, one per language the model was trained on. */
    static final List<String> MESH_MINI_PROMPTS = List.of("The best way to predict the future is ",
            "Der Mensch ist ", "El amor es ", "La vita è ", "Życie jest ", "Жизнь — это ");

    static Stream<Arguments> engines() {
        Stream<Arguments> mixtral = Stream.of(
                Arguments.of("bf16/vector", TestModels.tinyRandom(), Kernels.best()),
                Arguments.of("bf16/scalar", TestModels.tinyRandom(), Kernels.scalar()),
                Arguments.of("f16-sharded/vector", TestModels.tinyF16Sharded(), Kernels.best()),
                Arguments.of("f16-sharded/scalar", TestModels.tinyF16Sharded(), Kernels.scalar()),
                Arguments.of("mesh-mini-16e/vector", TestModels.meshMini(), Kernels.best()),
                Arguments.of("mesh-mini-16e/scalar", TestModels.meshMini(), Kernels.scalar()));
        return Stream.concat(mixtral,
                Stream.of("qwen2-moe", "qwen3-moe", "olmoe", "deepseek-moe").flatMap(GoldenVectorTest::family));
    }

    /** A family's tiny random checkpoint in BF16 ({@code models/}) and F32 (test resources), both kernels. */
    private static Stream<Arguments> family(String family) {
        Path bf16 = TestModels.shipped("tiny-" + family);
        Path f32 = TestModels.resource("tiny-" + family + "-f32");
        return Stream.of(
                Arguments.of(family + "/bf16/vector", bf16, Kernels.best()),
                Arguments.of(family + "/bf16/scalar", bf16, Kernels.scalar()),
                Arguments.of(family + "/f32/vector", f32, Kernels.best()),
                Arguments.of(family + "/f32/scalar", f32, Kernels.scalar()));
    }

    /** Every checkpoint once: the golden file does not depend on the kernels. */
    static Stream<Arguments> models() {
        return engines().filter(a -> ((String) a.get()[0]).endsWith("/scalar"));
    }

    /** The other tests loop over the file's cases, so an empty or cut-short golden file would pass them all. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void goldenFileHoldsEveryReferenceCaseInFull(String name, Path model, Kernels kernels) {
        GoldenVectors golden = GoldenVectors.read(model);
        ModelConfig config = ModelConfig.load(model);
        List<String> prompts = name.startsWith("mesh-mini-16e/") ? MESH_MINI_PROMPTS : TINY_PROMPTS;
        assertThat(golden.cases()).extracting(GoldenVectors.Case::prompt).containsExactlyElementsOf(prompts);
        for (GoldenVectors.Case c : golden.cases()) {
            assertThat(c.inputIds()).as(c.prompt()).isNotEmpty();
            assertThat(c.routing().length).as(c.prompt() + " MoE layers").isEqualTo(config.numMoeLayers());
            for (GoldenVectors.Route[] layer : c.routing()) {
                assertThat(layer).as(c.prompt() + " routed tokens").hasSize(c.inputIds().length);
            }
            assertThat(c.topLogits()).as(c.prompt()).hasSize(c.inputIds().length)
                    .allSatisfy(top -> assertThat(top.ids()).hasSize(20).hasSameSizeAs(top.values()));
            assertThat(c.greedy()).as(c.prompt()).hasSize(32);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void tokenizerProducesTheReferenceInputIds(String name, Path model, Kernels kernels) {
        try (InProcessEngine engine = InProcessEngine.open(model, kernels, 0)) {
            for (GoldenVectors.Case c : GoldenVectors.read(model).cases()) {
                assertThat(engine.tokenizer().encode(c.prompt())).as(c.prompt()).containsExactly(c.inputIds());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void routesEveryTokenToTheReferenceExpertsWithTheReferenceWeights(String name, Path model, Kernels kernels) {
        try (InProcessEngine engine = InProcessEngine.open(model, kernels, 0)) {
            for (GoldenVectors.Case c : GoldenVectors.read(model).cases()) {
                GateDecision[][] seen = new GateDecision[c.routing().length][c.inputIds().length];
                engine.score(c.inputIds(), (layer, token, d) -> seen[layer][token] = d);
                for (int l = 0; l < seen.length; l++) {
                    for (int t = 0; t < seen[l].length; t++) {
                        GoldenVectors.Route expected = c.routing()[l][t];
                        String where = "'" + c.prompt() + "' layer " + l + " token " + t;
                        assertThat(seen[l][t].experts()).as(where).containsExactly(expected.experts());
                        for (int j = 0; j < expected.weights().length; j++) {
                            assertThat(seen[l][t].weights()[j]).as(where)
                                    .isCloseTo(expected.weights()[j], within(WEIGHT_TOLERANCE));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void logitsMatchTheReferenceTop20AtEveryPosition(String name, Path model, Kernels kernels) {
        try (InProcessEngine engine = InProcessEngine.open(model, kernels, 0)) {
            int vocab = engine.config().vocabSize();
            for (GoldenVectors.Case c : GoldenVectors.read(model).cases()) {
                float[] logits = engine.score(c.inputIds(), (l, t, d) -> { });
                for (int p = 0; p < c.topLogits().length; p++) {
                    GoldenVectors.TopLogits expected = c.topLogits()[p];
                    String where = "'" + c.prompt() + "' position " + p;
                    assertThat(Sampler.argmax(logits, p * vocab, vocab)).as(where).isEqualTo(expected.ids()[0]);
                    for (int i = 0; i < expected.ids().length; i++) {
                        assertThat(logits[p * vocab + expected.ids()[i]]).as(where + " id " + expected.ids()[i])
                                .isCloseTo(expected.values()[i], within(LOGIT_TOLERANCE));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void greedyContinuationEqualsTheReference(String name, Path model, Kernels kernels) {
        try (InProcessEngine engine = InProcessEngine.open(model, kernels, 0)) {
            List<GoldenVectors.Case> cases = GoldenVectors.read(model).cases();
            SamplingParams greedy32 = new SamplingParams(0f, 0, 1f, 0, 32, List.of(), true);
            List<Generation> results = engine.generateIds(
                    cases.stream().map(GoldenVectors.Case::inputIds).toList(),
                    cases.stream().map(c -> greedy32).toList(),
                    TokenListener.NONE);
            for (int i = 0; i < cases.size(); i++) {
                assertThat(results.get(i).tokenIds()).as(cases.get(i).prompt()).containsExactly(cases.get(i).greedy());
            }
        }
    }
}
