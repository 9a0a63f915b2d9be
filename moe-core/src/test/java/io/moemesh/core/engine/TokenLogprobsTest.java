package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TokenLogprobsTest {

    private static final double TOLERANCE = 1e-6;

    @Test
    void isTheLogSoftmaxOfTheRow() {
        float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75

        TokenLogprobs lp = TokenLogprobs.of(logits, 0, 2, 0, 2);

        assertThat(lp.token()).isZero();
        assertThat((double) lp.logprob()).isCloseTo(Math.log(0.25), within(TOLERANCE));
        assertThat(lp.topIds()).containsExactly(1, 0);
        assertThat((double) lp.topLogprobs()[0]).isCloseTo(Math.log(0.75), within(TOLERANCE));
        assertThat((double) lp.topLogprobs()[1]).isCloseTo(Math.log(0.25), within(TOLERANCE));
    }

    @Test
    void matchesALogSoftmaxComputedByHandForEveryToken() {
        float[] logits = {1f, 3f, 2f, 3f, -1f};
        double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2) + Math.exp(-1);

        for (int token = 0; token < logits.length; token++) {
            assertThat((double) TokenLogprobs.of(logits, 0, 5, token, 0).logprob()).as("token %d", token)
                    .isCloseTo(logits[token] - Math.log(z), within(TOLERANCE));
        }
    }

    @Test
    void alternativesComeMostLikelyFirstWithTiesTowardTheLowerId() {
        float[] logits = {1f, 3f, 2f, 3f, -1f};

        TokenLogprobs lp = TokenLogprobs.of(logits, 0, 5, 4, 3);

        assertThat(lp.topIds()).containsExactly(1, 3, 2);
        assertThat(lp.topLogprobs()[0]).isEqualTo(lp.topLogprobs()[1]).isGreaterThan(lp.topLogprobs()[2]);
        assertThat(lp.logprob()).isLessThan(lp.topLogprobs()[2]); // the chosen token need not be among them
    }

    @Test
    void zeroAlternativesGiveOnlyTheChosenToken() {
        TokenLogprobs lp = TokenLogprobs.of(new float[] {1f, 3f, 2f}, 0, 3, 2, 0);

        assertThat(lp.token()).isEqualTo(2);
        assertThat(lp.topIds()).isEmpty();
        assertThat(lp.topLogprobs()).isEmpty();
    }

    @Test
    void moreAlternativesThanTheVocabularyGiveTheWholeVocabulary() {
        assertThat(TokenLogprobs.of(new float[] {0f, 1f}, 0, 2, 0, 20).topIds()).containsExactly(1, 0);
    }

    @Test
    void hugeLogitsDoNotOverflow() {
        TokenLogprobs lp = TokenLogprobs.of(new float[] {3e38f, 3e38f, -3e38f}, 0, 3, 0, 1);

        assertThat((double) lp.logprob()).isCloseTo(Math.log(0.5), within(TOLERANCE));
        assertThat(lp.topLogprobs()[0]).isEqualTo(lp.logprob());
    }

    /** The insertion top-N against a full sort of the row, on vocabularies that are not a multiple of anything. */
    @Test
    void topAlternativesEqualAFullSortOfARowAtAnOffset() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int vocab = 1 + random.nextInt(700);
            int off = random.nextInt(5);
            float[] logits = new float[off + vocab];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = random.nextInt(4) == 0 ? random.nextInt(3) : (float) random.nextGaussian(0, 4);
            }
            int top = random.nextInt(21);

            TokenLogprobs lp = TokenLogprobs.of(logits, off, vocab, random.nextInt(vocab), top);

            int[] sorted = IntStream.range(0, vocab).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -logits[off + i]).thenComparingInt(i -> i))
                    .limit(top).mapToInt(Integer::intValue).toArray();
            assertThat(lp.topIds()).as("trial %d", trial).containsExactly(sorted);
            double sum = IntStream.range(0, vocab).mapToDouble(i -> Math.exp(logits[off + i])).sum();
            for (int k = 0; k < sorted.length; k++) {
                assertThat((double) lp.topLogprobs()[k]).isCloseTo(logits[off + sorted[k]] - Math.log(sum),
                        within(1e-5)); // float logprobs of values up to ~|20|: about 1e-6 relative
            }
        }
    }
}
