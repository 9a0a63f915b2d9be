package io.moemesh.core.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pid files of expert processes, shared by moe up, the placement controller and moe down. */
class ExpertPidFileTest {

    private static final long DEAD_PID = Long.MAX_VALUE / 2;

    @TempDir
    Path state;

    @Test
    void writesPidTargetAndExpertOnThreeLinesUnderReplicas() throws Exception {
        new ExpertPidFile("expert-3-r1", 4242, "127.0.0.1:50071", 3).write(state);

        assertThat(Files.readString(state.resolve("replicas/expert-3-r1.pid"))).isEqualTo("4242\n127.0.0.1:50071\n3\n");
        assertThat(state.resolve("replicas")).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void readsEveryWellFormedFileByNameAndSkipsTheRest() throws Exception {
        new ExpertPidFile("expert-3", 11, "127.0.0.1:50063", 3).write(state);
        new ExpertPidFile("expert-1", 12, "127.0.0.1:50061", 1).write(state);
        Files.writeString(state.resolve("replicas/half-written.pid"), "13\n");
        Files.writeString(state.resolve("replicas/router.pid"), "14\n");
        Files.writeString(state.resolve("replicas/not-a-pid.pid"), "x\n127.0.0.1:1\n0\n");
        Files.writeString(state.resolve("replicas/no-target.pid"), "15\nexpert-2\n2\n");
        Files.writeString(state.resolve("replicas/notes.txt"), "not a pid file");

        assertThat(ExpertPidFile.readAll(state)).containsExactly(
                new ExpertPidFile("expert-1", 12, "127.0.0.1:50061", 1),
                new ExpertPidFile("expert-3", 11, "127.0.0.1:50063", 3));
    }

    @Test
    void aStateDirectoryWithoutReplicasHasNone() {
        assertThat(ExpertPidFile.readAll(state.resolve("nothing-here"))).isEmpty();
    }

    @Test
    void deletingRemovesTheFileAndIsQuietWhenItIsGone() {
        ExpertPidFile f = new ExpertPidFile("expert-1", 12, "127.0.0.1:50061", 1);
        f.write(state);

        f.delete(state);
        f.delete(state);

        assertThat(f.file(state)).doesNotExist();
    }

    @Test
    void aLiveProcessIsOneThatRunsAndStartedBeforeItsFileWasWritten() throws Exception {
        ExpertPidFile self = new ExpertPidFile("self", ProcessHandle.current().pid(), "127.0.0.1:1", 0);
        self.write(state);
        ExpertPidFile dead = new ExpertPidFile("dead", DEAD_PID, "127.0.0.1:2", 1);
        dead.write(state);

        assertThat(self.liveProcess(state)).contains(ProcessHandle.current());
        assertThat(dead.liveProcess(state)).isEmpty();

        Files.setLastModifiedTime(self.file(state), FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));
        assertThat(self.liveProcess(state)).as("a pid reused by a process started after the file").isEmpty();
    }

    @Test
    void refusesANameThatIsNoFileName() {
        assertThatThrownBy(() -> new ExpertPidFile("../x", 1, "127.0.0.1:1", 0))
                .hasMessageContaining("a replica name must be letters");
    }

    @Test
    void refusesATargetThatIsNoHostPortAndANegativeExpert() {
        assertThatThrownBy(() -> new ExpertPidFile("expert-1", 1, "expert-1", 1)).hasMessageContaining("host:port");
        assertThatThrownBy(() -> new ExpertPidFile("expert-1", 1, "127.0.0.1:1", -1))
                .hasMessageContaining("expert index >= 0");
    }
}
