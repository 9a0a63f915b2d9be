package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ServiceProcess;
import io.moemesh.core.local.ExpertPidFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code moe status} against real gRPC health services on loopback and recorded processes. */
class StatusCommandTest {

    private static final long DEAD_PID = Long.MAX_VALUE / 2; // no such process

    private final HealthStatusManager health = new HealthStatusManager();
    private final StringWriter out = new StringWriter();
    private Server server;
    private Path stateDir;

    @BeforeEach
    void start() throws Exception {
        server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(health.getHealthService()).build().start();
        stateDir = Files.createTempDirectory("moe-status");
    }

    @AfterEach
    void stop() throws Exception {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private int status(List<ServiceProcess> processes) {
        new ClusterState("tiny-random", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", null, null, null, processes,
                null, null).write(stateDir);
        var cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        return cmd.execute("status", "--state-dir", stateDir.toString());
    }

    private ServiceProcess running(String name) {
        return new ServiceProcess(name, name, server.getPort(), ProcessHandle.current().pid(), name + ".log");
    }

    @Test
    void aClusterWhoseProcessesAllServeIsHealthy() {
        health.setStatus("", ServingStatus.SERVING);

        int code = status(List.of(running("router"), running("gateway")));

        assertThat(code).isZero();
        assertThat(out.toString()).contains("all 2 processes run and answer SERVING");
    }

    @Test
    void aRouterWhoseSchedulerStalledShowsNotServing() {
        health.setStatus("", ServingStatus.NOT_SERVING);

        int code = status(List.of(running("router")));

        assertThat(code).isEqualTo(StatusCommand.UNHEALTHY);
        assertThat(out.toString()).contains("router").contains("NOT_SERVING").contains("1 of 1 processes are not serving");
    }

    @Test
    void aProcessThatExitedIsNamedWithItsLog() {
        health.setStatus("", ServingStatus.SERVING);

        int code = status(List.of(running("gateway"),
                new ServiceProcess("router", "router", 1, DEAD_PID, ".moe/logs/router.log")));

        assertThat(code).isEqualTo(StatusCommand.UNHEALTHY);
        assertThat(out.toString()).contains("EXITED (log: .moe/logs/router.log)").contains("moe down && moe up");
    }

    @Test
    void listsTheReplicasTheControllerStartedAndTheExpertsItStoppedOnPurpose() throws Exception {
        health.setStatus("", ServingStatus.SERVING);
        Process replica = new ProcessBuilder("sleep", "60").start();
        try {
            new ExpertPidFile("expert-1-r1", replica.pid(), "127.0.0.1:" + server.getPort(), 1).write(stateDir);

            int code = status(List.of(running("router"),
                    new ServiceProcess("expert-2", "expert", 1, DEAD_PID, ".moe/logs/expert-2.log")));

            assertThat(code).as("a pruned expert is no fault").isZero();
            assertThat(out.toString()).containsPattern("expert-1-r1 +expert .*SERVING")
                    .contains("STOPPED by the placement controller")
                    .contains("all 2 processes run and answer SERVING (1 expert process stopped by the placement"
                            + " controller)");
        } finally {
            replica.destroyForcibly();
        }
    }

    @Test
    void aReplicaThatExitedWithoutTheControllerIsAFault() {
        health.setStatus("", ServingStatus.SERVING);
        new ExpertPidFile("expert-1-r1", DEAD_PID, "127.0.0.1:1", 1).write(stateDir);

        int code = status(List.of(running("router")));

        assertThat(code).isEqualTo(StatusCommand.UNHEALTHY);
        assertThat(out.toString()).contains("expert-1-r1").contains("EXITED");
    }
}
