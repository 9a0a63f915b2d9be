package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.tokenizer.TextTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SequenceFactoryTest {

    private static TextTokenizer tokenizer;
    private static SequenceFactory sequences; // the tiny model's context is 512 positions

    @BeforeAll
    static void load() {
        tokenizer = TextTokenizer.load(TestModels.tinyRandom());
        sequences = new SequenceFactory(ModelConfig.load(TestModels.tinyRandom()), tokenizer);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void refusesAnEmptyPromptAndOneThatLeavesNoRoomToGenerate() {
        assertThat(sequences.refusal(0)).hasValue("the prompt is empty");
        assertThat(sequences.refusal(512))
                .hasValue("prompt of 512 tokens leaves no room in the model's context of 512 tokens");
        assertThat(sequences.refusal(511)).isEmpty();
        assertThat(sequences.refusal(1)).isEmpty();
    }

    @Test
    void capacityIsThePromptAndMaxTokensWithinTheContextWithoutOverflow() {
        assertThat(sequences.capacity(10, 20)).isEqualTo(30);
        assertThat(sequences.capacity(10, 600)).isEqualTo(512);
        assertThat(sequences.capacity(10, Integer.MAX_VALUE)).isEqualTo(512);
    }

    @Test
    void startsASequenceWithACacheOfTheGivenCapacity() {
        ActiveSequence s = sequences.start(7, new int[] {1, 2, 3}, SamplingParams.greedy(4), 7);

        assertThat(s.request()).isEqualTo(7);
        assertThat(s.promptIds()).containsExactly(1, 2, 3);
        assertThat(s.cache().capacity()).isEqualTo(7);
        assertThat(s.prefilled()).isFalse();
    }
}
