package io.moemesh.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SoakOptionsTest {

    @Test
    void defaultsAreThirtyMinutesOfEightWorkersAgainstMoeUp() {
        SoakOptions o = SoakOptions.parse(new String[0]);

        assertThat(o.duration()).isEqualTo(Duration.ofMinutes(30));
        assertThat(o.concurrency()).isEqualTo(8);
        assertThat(o.cluster()).isEqualTo(Path.of(".moe"));
        assertThat(o.sampleEvery()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void durationsAreWrittenAsTheCliWritesThem() {
        SoakOptions o = SoakOptions.parse(new String[] {"--duration=2m", "--sample-every=5s", "--burst-every=0s"});

        assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(o.sampleEvery()).isEqualTo(Duration.ofSeconds(5));
        assertThat(o.burstEvery()).isZero();
        assertThat(SoakOptions.duration("PT1H")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void anUnknownOptionNamesTheKnownOnes() {
        assertThatThrownBy(() -> SoakOptions.parse(new String[] {"--durration=2m"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown option --durration=2m")
                .hasMessageContaining("--duration=30m");
    }
}
