package io.moemesh.cli.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NetworkProfileTest {

    @Test
    void readsKeyValuePairsWithUnits() {
        NetworkProfile p = NetworkProfile.parse("rtt=1.5ms, jitter=20us,bandwidth=10gbit,node=4,scale=19");

        assertThat(p).isEqualTo(new NetworkProfile(1_500_000, 20_000, 10_000_000_000L, 4, 19));
    }

    @Test
    void unnamedKeysKeepNoDelayAndUnlimitedBandwidth() {
        assertThat(NetworkProfile.parse("rtt=200us")).isEqualTo(new NetworkProfile(200_000, 0, 0, 1, 1));
        assertThat(NetworkProfile.parse("bandwidth=0,rtt=0")).isEqualTo(NetworkProfile.NONE);
    }

    @Test
    void presetsAreTheDocumentedNetworks() {
        assertThat(NetworkProfile.parse("rack")).isEqualTo(new NetworkProfile(100_000, 10_000, 25_000_000_000L, 1, 1));
        assertThat(NetworkProfile.parse("Zone")).isEqualTo(new NetworkProfile(500_000, 50_000, 10_000_000_000L, 1, 1));
        assertThat(NetworkProfile.parse("cross-zone"))
                .isEqualTo(new NetworkProfile(2_000_000, 200_000, 1_000_000_000L, 1, 1));
        assertThat(NetworkProfile.parse("none")).isEqualTo(NetworkProfile.NONE);
    }

    @Test
    void spellingReadsBack() {
        NetworkProfile p = new NetworkProfile(250_000, 30_000, 2_500_000_000L, 2, 1);

        assertThat(NetworkProfile.parse(p.spell())).isEqualTo(p);
    }

    @Test
    void serializationTimeFollowsTheBandwidth() {
        assertThat(NetworkProfile.parse("bandwidth=1gbit").serializationNanos(1250)).isEqualTo(10_000);
        assertThat(NetworkProfile.parse("bandwidth=1gbit,scale=19").serializationNanos(1250)).isEqualTo(190_000);
        assertThat(NetworkProfile.NONE.serializationNanos(1 << 20)).isZero();
    }

    @Test
    void badSpecsSayWhatIsExpected() {
        assertThatThrownBy(() -> NetworkProfile.parse("fast")).hasMessageContaining("preset")
                .hasMessageContaining("cross-zone");
        assertThatThrownBy(() -> NetworkProfile.parse("rtt=200")).hasMessageContaining("200us");
        assertThatThrownBy(() -> NetworkProfile.parse("bandwidth=10gb")).hasMessageContaining("10gbit");
        assertThatThrownBy(() -> NetworkProfile.parse("latency=1ms")).hasMessageContaining("unknown key 'latency'");
        assertThatThrownBy(() -> NetworkProfile.parse("node=0")).hasMessageContaining("endpoints per node");
        assertThatThrownBy(() -> NetworkProfile.parse("scale=0")).hasMessageContaining("payload scale");
    }
}
