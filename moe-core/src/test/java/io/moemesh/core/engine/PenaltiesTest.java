package io.moemesh.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PenaltiesTest {

    @Test
    void lowersOnlyTheLogitsOfGeneratedTokensByFrequencyTimesCountPlusPresence() {
        Penalties penalties = new Penalties(0.5f, 0.25f);
        penalties.add(1);
        penalties.add(3);
        penalties.add(1);

        float[] row = penalties.apply(new float[] {1f, 2f, 3f, 4f, 5f}, 0, 5);

        // token 1 twice: 2 - 0.25 * 2 - 0.5; token 3 once: 4 - 0.25 - 0.5; the others as they were
        assertThat(row).containsExactly(1f, 1f, 3f, 3.25f, 5f);
    }

    @Test
    void negativePenaltiesRaiseTheLogitsOfGeneratedTokens() {
        Penalties penalties = new Penalties(-1f, -2f);
        penalties.add(0);

        assertThat(penalties.apply(new float[] {0f, 0f}, 0, 2)).containsExactly(3f, 0f);
    }

    @Test
    void readsItsRowAtAnOffsetAndLeavesTheBatchBufferAlone() {
        float[] batch = {9f, 9f, 1f, 2f, 3f};
        Penalties penalties = new Penalties(0f, 2f);
        penalties.add(2);

        float[] row = penalties.apply(batch, 2, 3);

        assertThat(row).containsExactly(1f, 2f, 1f);
        assertThat(batch).containsExactly(9f, 9f, 1f, 2f, 3f);
    }

    @Test
    void withNothingGeneratedTheRowIsACopyBitForBit() {
        float[] logits = {-0f, 0f, Float.MIN_VALUE, -3.5f, 1e30f};

        assertThat(new Penalties(2f, 2f).apply(logits, 0, logits.length)).containsExactly(logits);
    }
}
