package io.moemesh.proto.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.internal.v1.RoutingStatsSnapshot;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RoutingStatsCodecTest {

    @Test
    void aWindowSurvivesTheWireExactly() {
        RoutingStats s = RoutingStats.empty(2, 3, Instant.ofEpochMilli(1_000), Instant.ofEpochMilli(61_000));
        s.tokens()[1] = 5;
        s.expertTokens()[1][2] = 4;
        s.coactivation()[1][0 * 3 + 2] = 3;
        s.coactivation()[1][2 * 3 + 0] = 3;

        RoutingStats back = RoutingStatsCodec.decode(RoutingStatsCodec.encode(s));

        assertThat(back.windowStart()).isEqualTo(s.windowStart());
        assertThat(back.windowEnd()).isEqualTo(s.windowEnd());
        assertThat(back.tokens()).containsExactly(0, 5);
        assertThat(back.expertTokens()[1]).containsExactly(0, 0, 4);
        assertThat(back.coactivation(1, 2, 0)).isEqualTo(3);
    }

    @Test
    void aSnapshotThatContradictsItsOwnShapeIsRefused() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(RoutingStats.empty(2, 3, Instant.EPOCH, Instant.EPOCH));

        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumLayers(3).build()))
                .hasMessageContaining("list 2 layers but say the model has 3");
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumExperts(4).build()))
                .hasMessageContaining("malformed routing statistics for layer 0");
    }
}
