package io.moemesh.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.config.ModelConfig;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    /** 8 KV heads of 128 (KV dimension 1024) and a 4M-token context: positions × 1024 can pass an int. */
    private static final ModelConfig LONG_CONTEXT = new ModelConfig(64, 128, 1, 8, 8, 128, 2, 1, 1e-5f, 1e4, 16,
            4 << 20, false, OptionalInt.empty(), OptionalInt.empty());

    @Test
    void aCapacityWhoseArraysWouldPassAnIntIsRefusedInsteadOfWrappingAround() {
        assertThatThrownBy(() -> new KvCache(LONG_CONTEXT, 3 << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sequence length 3145728 × KV dimension 1024")
                .hasMessageContaining("past the largest array Java can allocate");
    }

    @Test
    void aCapacityOutsideTheContextIsRefused() {
        assertThatThrownBy(() -> new KvCache(LONG_CONTEXT, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCache(LONG_CONTEXT, (4 << 20) + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new KvCache(LONG_CONTEXT, 4).capacity()).isEqualTo(4);
    }
}
