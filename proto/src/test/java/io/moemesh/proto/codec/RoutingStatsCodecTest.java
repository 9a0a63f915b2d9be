package io.moemesh.proto.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.routing.ExpertSets;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.proto.internal.v1.ExpertSetCount;
import io.moemesh.proto.internal.v1.LayerRoutingStats;
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

    @Test
    void aShapeOutsideTheBoundsIsRefusedBeforeAnythingIsAllocated() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(RoutingStats.empty(1, 2, Instant.EPOCH, Instant.EPOCH));

        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumExperts(1_000_000).build()))
                .hasMessageContaining("1 layers x 1000000 experts");
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumLayers(-1).build()))
                .hasMessageContaining("-1 layers");
        // within each limit, but layers x experts^2 is not
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumLayers(1024).setNumExperts(1024).build()))
                .hasMessageContaining("co-activation cells");
        // experts^2 wraps around int at 65536: refused by the bound before any product is taken
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setNumExperts(65_536).build()))
                .hasMessageContaining("65536 experts");
    }

    @Test
    void negativeCountsAreRefused() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(RoutingStats.empty(2, 2, Instant.EPOCH, Instant.EPOCH));

        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setLayers(1, s.getLayers(1).toBuilder()
                .setTokensPerExpert(0, -5)).build())).hasMessageContaining("layer 1 hold a negative tokens per expert count (-5)");
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setLayers(0, s.getLayers(0).toBuilder()
                .setTokens(Long.MIN_VALUE)).build())).hasMessageContaining("negative tokens count");
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setLayers(0, s.getLayers(0).toBuilder()
                .setCoactivation(1, -1)).build())).hasMessageContaining("negative co-activation count");
    }

    @Test
    void aLayerListedTwiceIsRefused() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(RoutingStats.empty(2, 2, Instant.EPOCH, Instant.EPOCH));

        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setLayers(1, s.getLayers(0)).build()))
                .hasMessageContaining("list layer 0 twice");
    }

    @Test
    void aWindowEndingBeforeItStartsIsRefused() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(RoutingStats.empty(1, 2, Instant.ofEpochMilli(5_000),
                Instant.ofEpochMilli(1_000)));

        assertThatThrownBy(() -> RoutingStatsCodec.decode(s)).hasMessageContaining("ends (1000) before it starts (5000)");
    }

    private static RoutingStats withSets() {
        RoutingStats s = RoutingStats.empty(1, 4, Instant.ofEpochMilli(1_000), Instant.ofEpochMilli(61_000));
        s.tokens()[0] = 10;
        return s.withExpertSets(new ExpertSets[] {
                new ExpertSets(new int[][] {{0, 1, 3}, {1, 2, 3}}, new long[] {6, 3}, 1)});
    }

    @Test
    void expertSetsSurviveTheWireAndTheirRemainderIsRecomputed() {
        RoutingStats back = RoutingStatsCodec.decode(RoutingStatsCodec.encode(withSets()));

        assertThat(back.hasExpertSets()).isTrue();
        assertThat(back.expertSets()[0].sets()).isDeepEqualTo(new int[][] {{0, 1, 3}, {1, 2, 3}});
        assertThat(back.expertSets()[0].counts()).containsExactly(6, 3);
        assertThat(back.expertSets()[0].otherTokens()).isEqualTo(1);
    }

    @Test
    void aRouterThatRecordsNoExpertSetsDecodesWithout() {
        RoutingStats s = RoutingStats.empty(1, 4, Instant.EPOCH, Instant.EPOCH);

        RoutingStatsSnapshot wire = RoutingStatsCodec.encode(s);

        assertThat(wire.getExpertSetsRecorded()).isFalse();
        assertThat(RoutingStatsCodec.decode(wire).hasExpertSets()).isFalse();
    }

    @Test
    void malformedExpertSetsAreRefused() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(withSets());
        LayerRoutingStats layer = s.getLayers(0);

        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(0,
                layer.getExpertSets(0).toBuilder().setExperts(1, 0)).build()))
                .hasMessageContaining("not strictly ascending");
        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(0,
                layer.getExpertSets(0).toBuilder().setExperts(2, 4)).build()))
                .hasMessageContaining("not strictly ascending within 0..3");
        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(1,
                layer.getExpertSets(1).toBuilder().clearExperts().addExperts(1).addExperts(2)).build()))
                .hasMessageContaining("all hold the gate's k");
        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(1, layer.getExpertSets(0)).build()))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(1,
                layer.getExpertSets(1).toBuilder().setTokens(5)).build()))
                .hasMessageContaining("claim more tokens than the layer's 10");
        assertThatThrownBy(() -> decodeWith(s, layer.toBuilder().setExpertSets(1,
                layer.getExpertSets(1).toBuilder().setTokens(-1)).build()))
                .hasMessageContaining("negative expert set count");
        assertThatThrownBy(() -> RoutingStatsCodec.decode(s.toBuilder().setExpertSetsRecorded(false).build()))
                .hasMessageContaining("do not say expert sets were recorded");
    }

    @Test
    void tooManyExpertSetsAreRefusedBeforeTheyAreCopied() {
        RoutingStatsSnapshot s = RoutingStatsCodec.encode(withSets());
        LayerRoutingStats.Builder layer = s.getLayers(0).toBuilder();
        ExpertSetCount big = ExpertSetCount.newBuilder().addAllExperts(java.util.Collections.nCopies(
                (int) (RoutingStatsCodec.MAX_EXPERT_SET_CELLS / 4 + 1), 0)).build();
        for (int i = 0; i < 4; i++) {
            layer.addExpertSets(big);
        }

        assertThatThrownBy(() -> decodeWith(s, layer.build())).hasMessageContaining("experts in expert sets");
    }

    private static RoutingStats decodeWith(RoutingStatsSnapshot s, LayerRoutingStats layer) {
        return RoutingStatsCodec.decode(s.toBuilder().setLayers(0, layer).build());
    }
}
