package io.moemesh.placement.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.local.ExpertPidFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process port on real processes: a shell script stands in for the launch script, and health
 * is faked by the file the script writes when it starts with the ports it was given.
 */
class LocalProcessesTest {

    @TempDir
    Path dir;

    private Path script(String body) throws IOException {
        Path script = dir.resolve("start-expert");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    /** Serving once the script has written {@code started-<grpc-port>} (it got the port it should listen on). */
    private HealthCheck startedFile() {
        return target -> Files.exists(dir.resolve("started-" + target.substring(target.lastIndexOf(':') + 1)));
    }

    private LocalProcesses processes(Path script, Duration startTimeout, HealthCheck health) {
        return new LocalProcesses(script, dir.resolve("state"), startTimeout, Duration.ofMillis(500), health);
    }

    @Test
    void startsAServingProcessRecordsItAndStopsIt() throws IOException {
        LocalProcesses processes = processes(script("echo \"expert $1 grpc $2 http $3\"\necho $1 > " + dir
                + "/started-$2\nexec sleep 60"), Duration.ofSeconds(20), startedFile());

        ExpertPidFile p = processes.start(5);

        assertThat(p.expert()).isEqualTo(5);
        assertThat(p.target()).startsWith("127.0.0.1:");
        assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive)).contains(true);
        Path pidFile = dir.resolve("state/replicas/" + p.name() + ".pid");
        assertThat(Files.readAllLines(pidFile)).containsExactly(Long.toString(p.pid()), p.target(), "5");
        assertThat(processes.list()).containsExactly(p);
        assertThat(Files.readString(dir.resolve("state/logs/" + p.name() + ".log"))).startsWith("expert 5 grpc "
                + p.target().substring(p.target().indexOf(':') + 1) + " http ");

        processes.stop(p);

        assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(pidFile).doesNotExist();
        assertThat(processes.list()).isEmpty();
    }

    @Test
    void aProcessThatExitsBeforeServingIsAClearFailureWithNoPidFile() throws IOException {
        LocalProcesses processes = processes(script("echo 'no model' >&2\nexit 3"), Duration.ofSeconds(20),
                target -> false);

        assertThatThrownBy(() -> processes.start(1)).isInstanceOf(LocalProcessException.class)
                .hasMessageContaining("exited with status 3 before serving").hasMessageContaining(".log");
        assertThat(processes.list()).isEmpty();
        assertThat(dir.resolve("state/replicas")).isEmptyDirectory();
    }

    @Test
    void aProcessThatNeverServesIsStoppedWithinTheStartTimeout() throws IOException {
        LocalProcesses processes = processes(script("echo $$ > " + dir + "/pid\nexec sleep 60"),
                Duration.ofSeconds(2), target -> false);

        assertThatThrownBy(() -> processes.start(2)).isInstanceOf(LocalProcessException.class)
                .hasMessageContaining("did not report SERVING").hasMessageContaining("start-timeout");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(dir.resolve("state/replicas")).isEmptyDirectory();
    }

    @Test
    void aProcessThatIgnoresSigtermIsKilledAfterTheGrace() throws IOException {
        LocalProcesses processes = processes(script("trap '' TERM\necho $1 > " + dir + "/started-$2\nexec sleep 60"),
                Duration.ofSeconds(20), startedFile());
        ExpertPidFile p = processes.start(0);

        processes.stop(p);

        assertThat(ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(processes.list()).isEmpty();
    }

    @Test
    void listsLiveProcessesAndReapsThePidFilesOfGoneOnes() throws IOException {
        Path replicas = Files.createDirectories(dir.resolve("state/replicas"));
        Process gone = new ProcessBuilder("true").start();
        gone.onExit().join();
        Files.writeString(replicas.resolve("expert-1-old.pid"), gone.pid() + "\n127.0.0.1:1\n1\n");
        Files.writeString(replicas.resolve("router.pid"), ProcessHandle.current().pid() + "\n");
        Files.writeString(replicas.resolve("expert-2-self.pid"), ProcessHandle.current().pid() + "\n127.0.0.1:2\n2\n");
        LocalProcesses processes = processes(dir.resolve("none"), Duration.ofSeconds(1), t -> false);

        assertThat(processes.list()).containsExactly(new ExpertPidFile("expert-2-self", ProcessHandle.current().pid(),
                "127.0.0.1:2", 2));
        assertThat(replicas.resolve("expert-1-old.pid")).exists();

        assertThat(processes.reapGone()).containsExactly(new ExpertPidFile("expert-1-old", gone.pid(), "127.0.0.1:1",
                1));
        assertThat(replicas.resolve("expert-1-old.pid")).doesNotExist();
        assertThat(replicas.resolve("router.pid")).exists();
        assertThat(processes.reapGone()).isEmpty();
    }
}
