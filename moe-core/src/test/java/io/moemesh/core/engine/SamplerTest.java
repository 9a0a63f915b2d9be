package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final float[] LOGITS = {1f, 3f, 2f, 3f, -1f};

    private static SamplingParams sampling(float temperature, int topK, float topP, long seed) {
        return new SamplingParams(temperature, topK, topP, seed, 8, List.of(), false);
    }

    @Test
    void greedyTakesTheLowestIndexAmongEqualMaxima() {
        assertThat(new Sampler(SamplingParams.greedy(4)).next(LOGITS, 0, 5)).isEqualTo(1);
    }

    @Test
    void topKOfOneIsGreedyWhateverTheTemperature() {
        Sampler sampler = new Sampler(sampling(5f, 1, 1f, 7));

        for (int i = 0; i < 50; i++) {
            assertThat(sampler.next(LOGITS, 0, 5)).isEqualTo(1);
        }
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        Sampler a = new Sampler(sampling(1f, 0, 1f, 42));
        Sampler b = new Sampler(sampling(1f, 0, 1f, 42));

        for (int i = 0; i < 100; i++) {
            assertThat(a.next(LOGITS, 0, 5)).isEqualTo(b.next(LOGITS, 0, 5));
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // p(1) = p(3) ≈ 0.42 each; with top_p 0.5 the nucleus is {1, 3}, never 2 (≈ 0.15).
        Sampler sampler = new Sampler(sampling(1f, 0, 0.5f, 3));

        for (int i = 0; i < 500; i++) {
            assertThat(sampler.next(LOGITS, 0, 5)).isIn(1, 3);
        }
    }

    @Test
    void samplingFrequenciesFollowTheSoftmax() {
        Sampler sampler = new Sampler(sampling(1f, 0, 1f, 11));
        float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75
        int ones = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            ones += sampler.next(logits, 0, 2);
        }

        assertThat(ones / (double) n).isCloseTo(0.75, within(0.02)); // ~6 standard deviations
    }

    @Test
    void readsLogitsAtAnOffset() {
        float[] rows = {9f, 0f, 0f, 1f};

        assertThat(Sampler.argmax(rows, 2, 2)).isEqualTo(1);
    }

    @Test
    void rejectsInvalidParametersWithTheirNames() {
        assertThatThrownBy(() -> sampling(-1f, 0, 1f, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> sampling(1f, -2, 1f, 0)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> sampling(1f, 0, 0f, 0)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new SamplingParams(0f, 0, 1f, 0, 0, List.of(), false))
                .hasMessageContaining("max_tokens");
    }

    @Test
    void rejectsPenaltiesAndLogprobsOutOfRangeWithTheirNames() {
        SamplingParams greedy = SamplingParams.greedy(4);

        assertThatThrownBy(() -> greedy.withPenalties(2.5f, 0f)).hasMessageContaining("presence_penalty");
        assertThatThrownBy(() -> greedy.withPenalties(0f, Float.NaN)).hasMessageContaining("frequency_penalty");
        assertThatThrownBy(() -> greedy.withLogprobs(21)).hasMessageContaining("top_logprobs");
        assertThatThrownBy(() -> greedy.withLogprobs(-2)).hasMessageContaining("top_logprobs");
        assertThat(greedy.withPenalties(-2f, 2f).withLogprobs(20).hasPenalties()).isTrue();
    }
}
