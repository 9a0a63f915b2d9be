package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.local.ExpertPidFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `moe down` stops when the state directory holds what earlier clusters left. */
class ClusterStopTest {

    @TempDir
    Path stateDir;
    private Process process;

    @AfterEach
    void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private ServiceProcess packedExpert() throws IOException {
        process = new ProcessBuilder("sleep", "60").start();
        return new ServiceProcess("experts-0-15", "expert", 50060, process.pid(), "log");
    }

    @Test
    void aPackedExpertIsStoppedEvenWhereAnEarlierClusterLeftThePidDirectory() throws Exception {
        Files.createDirectories(ExpertPidFile.directory(stateDir)); // an earlier one-per-process cluster's
        ClusterStop.forgetPidDirectory(stateDir); // as `moe up` does for packed experts

        ClusterStop.stopAll(stateDir, List.of(packedExpert()), Duration.ofSeconds(5));

        assertThat(process.waitFor(5, TimeUnit.SECONDS)).as("the packed expert was stopped").isTrue();
    }

    @Test
    void downLeavesNoPidDirectoryBehind() throws Exception {
        ServiceProcess expert = packedExpert();
        new ExpertPidFile("expert-3", expert.pid(), "127.0.0.1:50063", 3).write(stateDir);

        ClusterStop.stopAll(stateDir, List.of(new ServiceProcess("expert-3", "expert", 50063, expert.pid(), "log")),
                Duration.ofSeconds(5));

        assertThat(process.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ExpertPidFile.directory(stateDir)).doesNotExist();
    }
}
