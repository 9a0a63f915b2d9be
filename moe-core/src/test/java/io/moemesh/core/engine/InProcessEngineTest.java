package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.kernel.Kernels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class InProcessEngineTest {

    private static InProcessEngine engine;

    @BeforeAll
    static void open() {
        engine = InProcessEngine.open(TestModels.tinyRandom());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static SamplingParams greedy(int maxTokens, List<String> stop) {
        return new SamplingParams(0f, 0, 1f, 0, maxTokens, stop, true);
    }

    @Test
    void aBatchGeneratesWhatEachPromptGeneratesAlone() {
        List<String> prompts = List.of("a", "The quick brown fox", "Zürich");
        List<GenerationRequest> requests = prompts.stream().map(p -> new GenerationRequest(p, greedy(12, List.of()))).toList();

        List<Generation> batched = engine.generate(requests, TokenListener.NONE);

        for (int i = 0; i < prompts.size(); i++) {
            Generation alone = engine.generate(prompts.get(i), greedy(12, List.of()), TokenListener.NONE);
            assertThat(batched.get(i).tokenIds()).as(prompts.get(i)).containsExactly(alone.tokenIds());
        }
    }

    @Test
    void sequencesOfDifferentLengthsFinishIndependently() {
        List<Generation> results = engine.generate(List.of(
                new GenerationRequest("x", greedy(3, List.of())),
                new GenerationRequest("y", greedy(9, List.of()))), TokenListener.NONE);

        assertThat(results.get(0).tokenIds()).hasSize(3);
        assertThat(results.get(1).tokenIds()).hasSize(9);
        assertThat(results).allSatisfy(g -> assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH));
    }

    @Test
    void maxTokensOfIntegerMaxValueStopsAtTheContextInsteadOfOverflowing() {
        Generation g = engine.generate("ab", greedy(Integer.MAX_VALUE, List.of()), TokenListener.NONE);

        assertThat(g.tokenIds()).hasSize(engine.config().maxPositionEmbeddings() - g.promptIds().length);
        assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void theSameSeedGivesTheSameSampledText() {
        SamplingParams hot = new SamplingParams(1.2f, 50, 0.95f, 1234, 20, List.of(), true);

        Generation a = engine.generate("Hello", hot, TokenListener.NONE);
        Generation b = engine.generate("Hello", hot, TokenListener.NONE);

        assertThat(a.tokenIds()).containsExactly(b.tokenIds());
    }

    @Test
    void streamedPiecesAddUpToTheFinalText() {
        List<String> pieces = new ArrayList<>();

        Generation g = engine.generate("Ελληνικά", greedy(24, List.of()), (r, id, text, logprobs) -> pieces.add(text));

        assertThat(pieces).hasSize(24);
        assertThat(String.join("", pieces)).isEqualTo(g.text());
    }

    @Test
    void stopsAtAStopStringAndLeavesItOut() {
        Generation full = engine.generate("abc", greedy(32, List.of()), TokenListener.NONE);
        String stop = full.text().substring(10, 12);
        String expected = full.text().substring(0, full.text().indexOf(stop));

        Generation stopped = engine.generate("abc", greedy(32, List.of(stop)), TokenListener.NONE);

        assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(stopped.text()).isEqualTo(expected);
    }

    @Test
    void scalarAndVectorKernelsGenerateTheSameTokens() {
        try (InProcessEngine scalar = InProcessEngine.open(TestModels.tinyRandom(), Kernels.scalar(), 0)) {
            Generation a = scalar.generate("kernels", greedy(16, List.of()), TokenListener.NONE);
            Generation b = engine.generate("kernels", greedy(16, List.of()), TokenListener.NONE);

            assertThat(a.tokenIds()).containsExactly(b.tokenIds());
        }
    }

    @Test
    void expertsPerTokenCanBeOverridden() {
        try (InProcessEngine top1 = InProcessEngine.open(TestModels.tinyRandom(), Kernels.best(), 1)) {
            List<Integer> routed = new ArrayList<>();

            top1.score(top1.tokenizer().encode("route"), (l, t, d) -> routed.add(d.k()));

            assertThat(routed).isNotEmpty().containsOnly(1);
        }
    }

    @Test
    void rejectsAnEmptyPrompt() {
        assertThatThrownBy(() -> engine.generate("", greedy(4, List.of()), TokenListener.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prompt is empty");
    }

    @Test
    void rejectsAPromptThatFillsTheContext() {
        String tooLong = "x".repeat(engine.config().maxPositionEmbeddings());

        assertThatThrownBy(() -> engine.generate(tooLong, greedy(4, List.of()), TokenListener.NONE))
                .hasMessageContaining("leaves no room in the model's context of 512 tokens");
    }

    @Test
    void stopsAtTheEndOfTheContext() {
        int context = engine.config().maxPositionEmbeddings();
        String prompt = "y".repeat(context - 3);

        Generation g = engine.generate(prompt, greedy(50, List.of()), TokenListener.NONE);

        assertThat(g.tokenIds()).hasSize(3);
        assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH);
    }
}
