package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExpertGroupTest {

    @Test
    void oneExpertPerProcessIsOneServicePerExpertNamedAsEver() {
        List<ExpertGroup> groups = ExpertGroup.split(16, 1);

        assertThat(groups).hasSize(16);
        assertThat(groups.get(5).experts()).containsExactly(5);
        assertThat(groups.get(5).processName(0)).isEqualTo("expert-5");
        assertThat(groups.get(5).processName(1)).isEqualTo("expert-5-r1");
    }

    @Test
    void processKHostsExpertsKTimesNUpToTheNext() {
        List<ExpertGroup> groups = ExpertGroup.split(16, 4);

        assertThat(groups).extracting(ExpertGroup::experts).containsExactly(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7),
                List.of(8, 9, 10, 11), List.of(12, 13, 14, 15));
        assertThat(groups).extracting(g -> g.processName(0))
                .containsExactly("experts-0-3", "experts-4-7", "experts-8-11", "experts-12-15");
        assertThat(groups.get(1).processName(2)).isEqualTo("experts-4-7-r2");
    }

    @Test
    void theLastProcessHostsWhatRemains() {
        List<ExpertGroup> groups = ExpertGroup.split(16, 5);

        assertThat(ExpertGroup.processes(16, 5)).isEqualTo(4);
        assertThat(groups).extracting(ExpertGroup::experts).containsExactly(List.of(0, 1, 2, 3, 4),
                List.of(5, 6, 7, 8, 9), List.of(10, 11, 12, 13, 14), List.of(15));
        assertThat(groups.getLast().processName(0)).isEqualTo("expert-15");
    }

    @Test
    void allExpertsInOneProcess() {
        assertThat(ExpertGroup.split(16, 16)).containsExactly(new ExpertGroup(0, 15));
        assertThat(new ExpertGroup(0, 15).processName(0)).isEqualTo("experts-0-15");
    }

    @Test
    void refusesFewerThanOneOrMoreThanTheModelsExpertsPerProcess() {
        for (int n : new int[] {0, -1, 17}) {
            assertThatThrownBy(() -> ExpertGroup.split(16, n)).as("%d", n)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("experts per process must be 1..16")
                    .hasMessageContaining("got " + n);
        }
    }

    @Test
    void aPackedProcessGetsOneWorkerPerExpertUpToTheCores() {
        assertThat(ExpertGroup.of(3).workers(2)).isEqualTo(1);
        assertThat(ExpertGroup.of(3).workers(64)).isEqualTo(1);
        assertThat(new ExpertGroup(0, 15).workers(2)).isEqualTo(2);
        assertThat(new ExpertGroup(4, 7).workers(64)).isEqualTo(4);
    }

    @Test
    void packingNeverRunsMoreComputeThreadsThanOneServicePerExpert() {
        for (int cores = 1; cores <= 8; cores++) {
            for (int n = 1; n <= 16; n++) {
                int c = cores;
                int threads = ExpertGroup.split(16, n).stream().mapToInt(g -> g.workers(c)).sum();
                assertThat(threads).as("%d per process, %d cores", n, cores)
                        .isLessThanOrEqualTo(16).isGreaterThanOrEqualTo(Math.min(cores, 16));
            }
        }
    }

    @Test
    void replicaROfProcessKListensAfterEveryProcessOfTheReplicasBefore() {
        LocalCluster.Layout packed = layout(50060, 4);
        LocalCluster.Layout perExpert = layout(50060, 1);

        assertThat(IntStream.range(0, 4).map(k -> packed.expertPort(k, 0, 16))).containsExactly(50060, 50061, 50062,
                50063);
        assertThat(packed.expertPort(0, 1, 16)).isEqualTo(50064);
        assertThat(packed.expertPort(3, 2, 16)).isEqualTo(50071);
        assertThat(perExpert.expertPort(5, 0, 16)).isEqualTo(50065);
        assertThat(perExpert.expertPort(5, 1, 16)).isEqualTo(50081);
        assertThat(layout(50060, 5).expertPort(3, 1, 16)).isEqualTo(50067);
    }

    @Test
    void aLayoutNeedsAtLeastOneExpertPerProcessAndDefaultsToOne() {
        assertThatThrownBy(() -> layout(50060, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("experts per process must be >= 1, got 0");
        assertThat(new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), 3, 1, Duration.ofSeconds(1))
                .expertsPerProcess()).isEqualTo(1);
    }

    private static LocalCluster.Layout layout(int firstExpertPort, int expertsPerProcess) {
        return new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), firstExpertPort, 3,
                Duration.ofSeconds(1), expertsPerProcess);
    }
}
