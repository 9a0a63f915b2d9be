package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.core.local.ExpertPidFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** An expert pid file as moe status and moe down see it. */
class ServiceProcessTest {

    private final Path state = Path.of("/tmp/moe-state");

    @Test
    void aPidFilesProcessLogsWhereTheControllerLogsIt() {
        ServiceProcess p = ServiceProcess.expert(new ExpertPidFile("expert-3-r1", 4242, "127.0.0.1:50071", 3), state);

        assertThat(p).isEqualTo(new ServiceProcess("expert-3-r1", "expert", 50071, 4242,
                state.resolve("logs/expert-3-r1.log").toString()));
    }

    @Test
    void aRecordedProcessIsThePidFilesWhenNameAndPidAgree() {
        ExpertPidFile f = new ExpertPidFile("expert-3", 4242, "127.0.0.1:50063", 3);

        assertThat(ServiceProcess.expert(f, state).key()).isEqualTo(ServiceProcess.keyOf(f));
        assertThat(new ServiceProcess("expert-3", "expert", 50063, 4243, "log").key())
                .as("same name, another pid: the controller restored the expert as another process")
                .isNotEqualTo(ServiceProcess.keyOf(f));
    }
}
