package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** The primitive-sort sampler against its boxed-sort twin: the same token for every input and seed. */
class SamplerPropertiesTest {

    private static final int DRAWS = 8;

    @Property(tries = 1000)
    void picksTheSameTokensAsTheBoxedSort(@ForAll("logits") float[] logits, @ForAll("temperatures") float temperature,
            @ForAll("topKs") int topK, @ForAll("topPs") float topP, @ForAll long seed,
            @ForAll @IntRange(max = 3) int offset) {
        SamplingParams params = new SamplingParams(temperature, topK, topP, seed, 8, List.of(), false);
        float[] rows = new float[offset + logits.length + 2];
        Arrays.fill(rows, Float.MAX_VALUE); // outside the row: must never be read as a candidate
        System.arraycopy(logits, 0, rows, offset, logits.length);
        float[] before = rows.clone();
        Sampler fast = new Sampler(params);
        BoxedSortSampler boxed = new BoxedSortSampler(params);

        for (int draw = 0; draw < DRAWS; draw++) {
            assertThat(fast.next(rows, offset, logits.length)).as("draw %d", draw)
                    .isEqualTo(boxed.next(rows, offset, logits.length));
        }
        assertThat(rows).isEqualTo(before);
    }

    @Property(tries = 200)
    void picksTheSameTokensAsTheBoxedSortAtTheShippedVocabulary(@ForAll long seed, @ForAll("topKs") int topK,
            @ForAll("topPs") float topP) {
        float[] logits = new float[2048];
        Random random = new Random(seed);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * 3); // about the spread of mesh-mini-16e's logits
        }
        SamplingParams params = new SamplingParams(0.8f, topK, topP, seed, 8, List.of(), false);
        Sampler fast = new Sampler(params);
        BoxedSortSampler boxed = new BoxedSortSampler(params);

        for (int draw = 0; draw < DRAWS; draw++) {
            assertThat(fast.next(logits, 0, logits.length)).isEqualTo(boxed.next(logits, 0, logits.length));
        }
    }

    @Property(tries = 2000)
    void keysOrderLikeTheBoxedComparator(@ForAll("logit") float a, @ForAll @IntRange(max = 4096) int idA,
            @ForAll("logit") float b, @ForAll @IntRange(max = 4096) int idB) {
        int c = Float.compare(b, a);
        int expected = c != 0 ? c : Integer.compare(idA, idB);

        assertThat(Integer.signum(Long.compare(Sampler.key(a, idA), Sampler.key(b, idB))))
                .isEqualTo(Integer.signum(expected));
        assertThat(Sampler.id(Sampler.key(a, idA))).isEqualTo(idA);
    }

    @Property(tries = 500)
    void selectionKeepsExactlyTheSmallestKeys(@ForAll("keys") long[] keys,
            @ForAll @IntRange(min = 1, max = 300) int k) {
        int keep = Math.min(k, keys.length);
        long[] ascending = keys.clone();
        Arrays.sort(ascending);
        long[] descending = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            descending[i] = ascending[keys.length - 1 - i];
        }

        for (long[] input : List.of(keys, ascending, descending)) {
            long[] selected = input.clone();
            Sampler.selectSmallest(selected, selected.length, keep);
            long[] head = Arrays.copyOf(selected, keep);
            Arrays.sort(head);
            assertThat(head).isEqualTo(Arrays.copyOf(ascending, keep));
        }
    }

    @Provide
    Arbitrary<float[]> logits() {
        return logit().array(float[].class).ofMinSize(1).ofMaxSize(300);
    }

    /** Mostly ordinary logits, with many exact ties, both zeros, extremes, infinities and NaN mixed in. */
    @Provide
    Arbitrary<Float> logit() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.floats().between(-20f, 20f)),
                Tuple.of(4, Arbitraries.integers().between(-4, 4).map(i -> i / 2f)),
                Tuple.of(2, Arbitraries.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f)),
                Tuple.of(1, Arbitraries.floats().between(-1e30f, 1e30f)),
                Tuple.of(1, Arbitraries.of(Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc00001))));
    }

    @Provide
    Arbitrary<Float> temperatures() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(0.8f, 1f, 0f)),
                Tuple.of(3, Arbitraries.floats().between(0.01f, 5f)));
    }

    @Provide
    Arbitrary<Integer> topKs() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.integers().between(1, 8)),
                Tuple.of(2, Arbitraries.integers().between(1, 2100)));
    }

    @Provide
    Arbitrary<Float> topPs() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(1f)),
                Tuple.of(3, Arbitraries.floats().between(0.01f, 1f)));
    }

    /** Distinct, as the sampler's keys are (each carries its id). */
    @Provide
    Arbitrary<long[]> keys() {
        return Arbitraries.longs().set().ofMinSize(1).ofMaxSize(400)
                .map(set -> set.stream().mapToLong(Long::longValue).toArray());
    }
}
