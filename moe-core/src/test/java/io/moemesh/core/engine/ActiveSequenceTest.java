package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.KvCache;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Penalties and log probabilities as one sequence samples, on hand-made logits rows. */
class ActiveSequenceTest {

    private static final int VOCAB = 4;
    private static final float[] ROW = {0f, 3f, 2.5f, 0f}; // greedy alone repeats token 1 for ever

    private static ModelConfig config;

    @BeforeAll
    static void load() {
        config = ModelConfig.load(TestModels.tinyRandom());
    }

    private static ActiveSequence sequence(int[] prompt, SamplingParams params, OptionalInt eos) {
        return new ActiveSequence(0, prompt, params, new KvCache(config, prompt.length + params.maxTokens()),
                new ByteTokenizer(), eos);
    }

    /** The tokens of {@code steps} steps that all see {@code row}, with what the listener heard. */
    private static int[] run(SamplingParams params, float[] row, List<TokenLogprobs> heard) {
        ActiveSequence s = sequence(new int[] {'a'}, params, OptionalInt.empty());
        while (!s.finished()) {
            s.accept(row, 0, row.length, (request, token, text, logprobs) -> heard.add(logprobs));
        }
        return s.result().tokenIds();
    }

    private static int[] run(SamplingParams params) {
        return run(params, ROW, new ArrayList<>());
    }

    @Test
    void greedyWithoutPenaltiesRepeatsTheLargestLogit() {
        assertThat(run(SamplingParams.greedy(4))).containsExactly(1, 1, 1, 1);
    }

    @Test
    void frequencyPenaltyGrowsWithEachRepetition() {
        // token 1: 3 - 1·count; token 2: 2.5 - 1·count; greedy takes the larger (the lower id on a tie)
        assertThat(run(SamplingParams.greedy(5).withPenalties(0f, 1f))).containsExactly(1, 2, 1, 2, 1);
    }

    @Test
    void presencePenaltyCountsATokenOnce() {
        // after one of each, 1 stands at 3 - 1 = 2 and 2 at 2.5 - 1 = 1.5 for good
        assertThat(run(SamplingParams.greedy(5).withPenalties(1f, 0f))).containsExactly(1, 2, 1, 1, 1);
    }

    @Test
    void promptTokensAreNotPenalised() {
        ActiveSequence s = sequence(new int[] {1, 1, 1}, SamplingParams.greedy(1).withPenalties(2f, 2f),
                OptionalInt.empty());

        s.accept(ROW, 0, VOCAB, TokenListener.NONE);

        assertThat(s.result().tokenIds()).containsExactly(1);
    }

    @Test
    void penaltiesLeaveTheBatchLogitsUntouched() {
        float[] batch = {5f, 5f, 0f, 3f, 2.5f, 0f};
        ActiveSequence s = sequence(new int[] {'a'}, SamplingParams.greedy(3).withPenalties(2f, 2f),
                OptionalInt.empty());

        for (int i = 0; i < 3; i++) {
            s.accept(batch, 2, VOCAB, TokenListener.NONE);
        }

        assertThat(batch).containsExactly(5f, 5f, 0f, 3f, 2.5f, 0f);
    }

    /** Parameters at their defaults take the path they always took: a bare sampler over the row as given. */
    @Test
    void defaultParametersSampleBitIdenticallyToABareSampler() {
        SamplingParams params = new SamplingParams(0.9f, 40, 0.95f, 1234, 200, List.of(), true);
        assertThat(params.withPenalties(0f, 0f).withLogprobs(SamplingParams.NO_LOGPROBS)).isEqualTo(params);
        SplittableRandom random = new SplittableRandom(99);
        int vocab = 300;
        float[][] rows = new float[params.maxTokens()][vocab];
        for (float[] row : rows) {
            for (int i = 0; i < vocab; i++) {
                row[i] = (float) random.nextGaussian(0, 3);
            }
        }
        Sampler bare = new Sampler(params);
        ActiveSequence s = sequence(new int[] {'a'}, params, OptionalInt.empty());

        for (float[] row : rows) {
            int expected = bare.next(row, 0, vocab);
            s.accept(row, 0, vocab, TokenListener.NONE);
            assertThat(s.lastToken()).isEqualTo(expected);
        }
    }

    @Test
    void askingForLogprobsDoesNotChangeTheSampledTokens() {
        SamplingParams params = new SamplingParams(1.1f, 0, 0.9f, 5, 64, List.of(), true);
        float[] row = {0.5f, 1f, 0.7f, 0.9f, 0.2f};

        int[] plain = run(params, row, new ArrayList<>());
        int[] withLogprobs = run(params.withLogprobs(3), row, new ArrayList<>());

        assertThat(withLogprobs).containsExactly(plain);
    }

    @Test
    void logprobsAreReportedOnlyWhenAskedFor() {
        List<TokenLogprobs> off = new ArrayList<>();
        List<TokenLogprobs> on = new ArrayList<>();

        run(SamplingParams.greedy(3), ROW, off);
        run(SamplingParams.greedy(3).withLogprobs(2), ROW, on);

        assertThat(off).hasSize(3).containsOnlyNulls();
        assertThat(on).extracting(TokenLogprobs::token).containsExactly(1, 1, 1);
        assertThat(on).allSatisfy(lp -> assertThat(lp.topIds()).containsExactly(1, 2));
    }

    /** Raw logprobs: the model's distribution, so the same at every step although the penalties move the choice. */
    @Test
    void logprobsAreTheRawRowsBeforePenalties() {
        List<TokenLogprobs> heard = new ArrayList<>();

        run(SamplingParams.greedy(2).withPenalties(0f, 1f).withLogprobs(1), ROW, heard);

        TokenLogprobs expected = TokenLogprobs.of(ROW, 0, VOCAB, 2, 1);
        assertThat(heard.get(1).token()).isEqualTo(2);
        assertThat(heard.get(1).logprob()).isEqualTo(expected.logprob());
        assertThat(heard.get(1).topIds()).containsExactly(1);
        assertThat(heard.get(1).topLogprobs()).containsExactly(expected.topLogprobs());
    }

    @Test
    void theEosThatEndsASequenceIsReportedWithoutLogprobs() {
        ActiveSequence s = sequence(new int[] {'a'}, SamplingParams.greedy(4).withLogprobs(1), OptionalInt.of(1));
        List<TokenLogprobs> heard = new ArrayList<>();

        s.accept(ROW, 0, VOCAB, (request, token, text, logprobs) -> heard.add(logprobs));

        assertThat(s.result().finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(heard).containsExactly((TokenLogprobs) null);
    }
}
