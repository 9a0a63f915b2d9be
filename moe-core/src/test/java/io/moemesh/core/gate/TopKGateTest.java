package io.moemesh.core.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TopKGateTest {

    @Test
    void picksTheTwoLargestLogitsAndRenormalises() {
        GateDecision d = TopKGate.gate(new float[] {0f, 2f, 1f, -1f}, 2);

        assertThat(d.experts()).containsExactly(1, 2);
        // softmax over the chosen pair: e^2 / (e^2 + e^1) = 1 / (1 + e^-1)
        assertThat(d.weights()[0]).isCloseTo((float) (1 / (1 + Math.exp(-1))), within(1e-6f));
        assertThat(d.weights()[1]).isCloseTo((float) (1 / (1 + Math.exp(1))), within(1e-6f));
    }

    @Test
    void withoutRenormalisationKeepsTheSoftmaxOverEveryExpert() {
        float[] logits = {0f, 2f, 1f, -1f};
        double denominator = Math.exp(0) + Math.exp(2) + Math.exp(1) + Math.exp(-1);

        GateDecision d = TopKGate.gate(logits, 0, 4, 2, null, false);

        assertThat(d.experts()).containsExactly(1, 2);
        assertThat(d.weights()[0]).isCloseTo((float) (Math.exp(2) / denominator), within(1e-6f));
        assertThat(d.weights()[1]).isCloseTo((float) (Math.exp(1) / denominator), within(1e-6f));
    }

    @Test
    void withoutRenormalisationAnUnavailableExpertsShareIsLostNotRedistributed() {
        float[] logits = {0f, 2f, 1f, -1f};
        GateDecision all = TopKGate.gate(logits, 0, 4, 2, null, false);

        GateDecision degraded = TopKGate.gate(logits, 0, 4, 2, new boolean[] {true, false, true, true}, false);

        assertThat(degraded.experts()).containsExactly(2, 0);
        assertThat(degraded.weights()[0]).isEqualTo(all.weights()[1]);
    }

    @Property
    void renormalisingAgreesWithDividingTheUnnormalisedWeightsByTheirSum(@ForAll("logits") float[] logits,
            @ForAll @IntRange(min = 1, max = 4) int k) {
        GateDecision normalised = TopKGate.gate(logits, 0, logits.length, k, null, true);
        GateDecision raw = TopKGate.gate(logits, 0, logits.length, k, null, false);

        assertThat(raw.experts()).containsExactly(normalised.experts());
        float sum = 0f;
        for (float w : raw.weights()) {
            sum += w;
        }
        assertThat(sum).isLessThanOrEqualTo(1f + 1e-6f);
        for (int j = 0; j < k; j++) {
            assertThat(raw.weights()[j] / sum).isCloseTo(normalised.weights()[j], within(1e-5f));
        }
    }

    @Test
    void breaksTiesTowardTheLowerExpertIndex() {
        GateDecision d = TopKGate.gate(new float[] {1f, 3f, 3f, 3f}, 2);

        assertThat(d.experts()).containsExactly(1, 2);
        assertThat(d.weights()).containsExactly(0.5f, 0.5f);
    }

    @Test
    void readsLogitsAtAnOffset() {
        float[] batch = {9f, 9f, 0f, 1f, 5f, 2f};

        assertThat(TopKGate.gate(batch, 2, 4, 1).experts()).containsExactly(2);
    }

    @Test
    void rejectsNanLogits() {
        assertThatThrownBy(() -> TopKGate.gate(new float[] {0f, Float.NaN, 1f}, 2))
                .hasMessageContaining("expert 1 is NaN");
    }

    @Test
    void rejectsKLargerThanTheExpertCount() {
        assertThatThrownBy(() -> TopKGate.gate(new float[] {0f, 1f}, 3)).hasMessageContaining("k = 3");
    }

    @Property
    void choosesKDistinctExperts(@ForAll("logits") float[] logits, @ForAll @IntRange(min = 1, max = 4) int k) {
        GateDecision d = TopKGate.gate(logits, k);

        assertThat(Arrays.stream(d.experts()).distinct().count()).isEqualTo(k);
        assertThat(Arrays.stream(d.experts()).allMatch(e -> e >= 0 && e < logits.length)).isTrue();
    }

    @Property
    void weightsArePositiveSumToOneAndDescend(@ForAll("logits") float[] logits, @ForAll @IntRange(min = 1, max = 4) int k) {
        GateDecision d = TopKGate.gate(logits, k);

        float sum = 0f;
        for (int j = 0; j < k; j++) {
            assertThat(d.weights()[j]).isPositive();
            if (j > 0) {
                assertThat(d.weights()[j]).isLessThanOrEqualTo(d.weights()[j - 1]);
            }
            sum += d.weights()[j];
        }
        assertThat(sum).isCloseTo(1f, within(1e-6f));
    }

    @Property
    void noUnchosenExpertHasAHigherLogit(@ForAll("logits") float[] logits, @ForAll @IntRange(min = 1, max = 4) int k) {
        GateDecision d = TopKGate.gate(logits, k);

        float lowestChosen = logits[d.experts()[k - 1]];
        List<Integer> chosen = Arrays.stream(d.experts()).boxed().toList();
        for (int e = 0; e < logits.length; e++) {
            if (!chosen.contains(e)) {
                assertThat(logits[e]).isLessThanOrEqualTo(lowestChosen);
            }
        }
    }

    /** Logits on a 1/4 grid and integer shifts keep every sum exact, so the property has no rounding slack. */
    @Property
    void addingAConstantToAllLogitsChangesNothing(@ForAll("logits") float[] logits,
            @ForAll @IntRange(min = -64, max = 64) int shift, @ForAll @IntRange(min = 1, max = 4) int k) {
        float[] shifted = logits.clone();
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] += shift;
        }

        GateDecision a = TopKGate.gate(logits, k);
        GateDecision b = TopKGate.gate(shifted, k);

        assertThat(b.experts()).containsExactly(a.experts());
        for (int j = 0; j < k; j++) {
            assertThat(b.weights()[j]).isCloseTo(a.weights()[j], within(1e-6f));
        }
    }

    @Provide
    Arbitrary<float[]> logits() {
        return Arbitraries.integers().between(-64, 64).map(i -> i / 4f)
                .list().ofMinSize(4).ofMaxSize(16)
                .map(list -> {
                    float[] a = new float[list.size()];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = list.get(i);
                    }
                    return a;
                });
    }
}
