package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.moemesh.core.local.ExpertPidFile;
import io.moemesh.core.placement.Unit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterTest {

    private static final Instant BUILT = Instant.parse("2026-11-28T12:00:00Z");

    @TempDir
    Path home;

    @Test
    void aPlansPartnerUnitsBecomeTheExpertServicesExtraUnits() {
        Path model = Path.of("models/m");

        assertThat(ServiceArguments.expert(model, ExpertGroup.of(3), 1, 50063,
                List.of(new Unit(1, 7), new Unit(2, 9))))
                .contains("--moemesh.expert.experts=3", "--moemesh.expert.extra-units=7:1,9:2");
        assertThat(ServiceArguments.expert(model, ExpertGroup.of(3), 1, 50063, List.of()))
                .noneMatch(a -> a.startsWith("--moemesh.expert.extra-units"));
    }

    @Test
    void aServiceOfOneExpertHostsItWithOneWorkerAsEver() {
        assertThat(ServiceArguments.expert(Path.of("models/m"), ExpertGroup.of(3), 1, 50063, List.of()))
                .contains("--moemesh.expert.experts=3", "--moemesh.expert.grpc-port=50063",
                        "--moemesh.expert.workers=1");
    }

    @Test
    void aPackedProcessHostsEveryExpertOfItsGroupWithItsWorkers() {
        assertThat(ServiceArguments.expert(Path.of("models/m"), new ExpertGroup(4, 7), 2, 50061, List.of()))
                .contains("--moemesh.expert.experts=4,5,6,7", "--moemesh.expert.grpc-port=50061",
                        "--moemesh.expert.workers=2");
    }

    @Test
    void refusesMoreExpertsPerProcessThanTheModelHasBeforeStartingAnything() {
        LocalCluster.Layout layout = new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), 3, 1,
                java.time.Duration.ofSeconds(1), 9);

        assertThatThrownBy(() -> cluster().up(Path.of("../models/tiny-random"), layout))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("experts per process must be 1..8")
                .hasMessageContaining("got 9");
        assertThat(home.resolve(".moe/logs")).doesNotExist();
    }

    @Test
    void refusesAPlanOrAPlacementControllerForPackedProcesses() {
        Path model = Path.of("../models/tiny-random");
        LocalCluster.Layout packed = new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), 3, 1,
                java.time.Duration.ofSeconds(1), 4);
        LocalCluster.Controller controller = new LocalCluster.Controller(5, 6, java.time.Duration.ofSeconds(15),
                2000, 0.05, 1.25, 1.25, false);

        assertThatThrownBy(() -> cluster().up(model, packed, java.util.Map.of(0, List.of(new Unit(0, 1)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--plan");
        assertThatThrownBy(() -> cluster().up(model, packed, java.util.Map.of(), controller))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--placement off");
        assertThat(home.resolve(".moe/logs")).doesNotExist();
    }

    @Test
    void onlyTheControllerServesHttpAndItGetsTheSettingsOfMoeUp() throws Exception {
        file("placement-controller/target/placement-controller-exec.jar", BUILT);
        LocalCluster.Controller controller = new LocalCluster.Controller(50053, 50054, java.time.Duration.ofSeconds(15),
                2000, 0.05, 1.25, 1.25, true);

        List<String> args = controller.arguments("127.0.0.1:50052");

        assertThat(args).contains("--moemesh.controller.routers=127.0.0.1:50052", "--moemesh.controller.grpc-port=50053",
                "--server.port=50054", "--moemesh.controller.interval=15000ms",
                "--moemesh.controller.initial-delay=15000ms", "--moemesh.controller.min-window-tokens=2000",
                "--moemesh.controller.min-gain=0.05", "--moemesh.controller.memory-budget=1.25",
                "--moemesh.controller.dry-run=true");
        assertThat(launcher().serviceCommand("placement-controller", null, args, true))
                .doesNotContain("--spring.main.web-application-type=none");
        assertThat(launcher().serviceCommand("placement-controller", null, args))
                .contains("--spring.main.web-application-type=none");
    }

    @Test
    void theRoutersHttpPortServesItsMetrics() throws Exception {
        file("router-service/target/router-service-exec.jar", BUILT);

        List<String> args = ServiceArguments.router(Path.of("models/m"),
                new LocalCluster.RouterPorts(50052, 50056, 50055), List.of("127.0.0.1:50060"));

        assertThat(args).contains("--moemesh.router.grpc-port=50052", "--moemesh.router.internal-grpc-port=50056",
                "--server.port=50055", "--moemesh.router.experts=127.0.0.1:50060");
        assertThat(launcher().serviceCommand("router-service", null, args, true))
                .doesNotContain("--spring.main.web-application-type=none");
        assertThat(new LocalCluster.Layout(1, new LocalCluster.RouterPorts(2, 4, 50055), 3, 1,
                java.time.Duration.ofSeconds(1)).routerMetricsUrl())
                .isEqualTo("http://127.0.0.1:50055/actuator/prometheus");
    }

    @Test
    void everyServiceBindsLoopbackAndOnlyTheInternalOnesRunUnauthenticated() {
        for (String role : List.of("expert", "router", "controller")) {
            assertThat(ServiceArguments.localMode(role)).as(role).containsExactlyInAnyOrder(
                    "--moemesh.transport.bind-address=127.0.0.1", "--server.address=127.0.0.1",
                    "--moemesh.auth.allow-unauthenticated=true");
        }
        assertThat(ServiceArguments.localMode("gateway")).containsExactlyInAnyOrder(
                "--moemesh.transport.bind-address=127.0.0.1", "--server.address=127.0.0.1");
    }

    @Test
    void refusesAPlanForAServiceTheModelDoesNotHave() {
        Path model = Path.of("../models/tiny-random");
        LocalCluster.Layout layout = new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), 3, 1,
                java.time.Duration.ofSeconds(1));

        assertThatThrownBy(() -> cluster().up(model, layout, java.util.Map.of(99, List.of(new Unit(0, 1)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("service 99")
                .hasMessageContaining("expert services (0..");
    }

    @Test
    void theRouterFollowsTheExpertsFileInsteadOfAFixedList() {
        List<String> args = ServiceArguments.router(Path.of("models/m"),
                new LocalCluster.RouterPorts(50052, 50056, 50055), home.resolve(".moe/expert-endpoints"));

        assertThat(args).contains("--moemesh.router.discovery=file",
                "--moemesh.router.experts-file=" + home.resolve(".moe/expert-endpoints"));
        assertThat(args).noneMatch(a -> a.startsWith("--moemesh.router.experts="));
    }

    @Test
    void theControllerGetsTheStateDirectoryTheLaunchScriptAndItsProcessSettings() {
        LocalCluster.Controller controller = new LocalCluster.Controller(50053, 50054, java.time.Duration.ofSeconds(15),
                2000, 0.05, 1.25, 1.25, false, new ExpertProcesses(12, true, 0.3, 0.01));
        Path state = home.resolve(".moe");

        assertThat(controller.arguments("127.0.0.1:50056")).contains(
                "--moemesh.controller.local.max-expert-processes=12", "--moemesh.controller.pruning.enabled=true",
                "--moemesh.controller.pruning.threshold=0.3", "--moemesh.controller.pruning.quality-budget=0.01");
        assertThat(ServiceArguments.localController(state, state.resolve("start-expert"))).containsExactly(
                "--moemesh.controller.local.endpoints-file=" + state.resolve("expert-endpoints"),
                "--moemesh.controller.local.state-dir=" + state,
                "--moemesh.controller.local.expert-command=" + state.resolve("start-expert"));
        assertThat(ServiceArguments.localController(state, null))
                .noneMatch(a -> a.startsWith("--moemesh.controller.local.expert-command"));
    }

    @Test
    void byDefaultTheControllerStartsNoReplicaAndPrunesNothing() {
        LocalCluster.Controller controller = new LocalCluster.Controller(50053, 50054, java.time.Duration.ofSeconds(15),
                2000, 0.05, 1.25, 1.25, false);

        assertThat(controller.arguments("127.0.0.1:50056")).contains(
                "--moemesh.controller.local.max-expert-processes=0", "--moemesh.controller.pruning.enabled=false",
                "--moemesh.controller.pruning.threshold=0.25", "--moemesh.controller.pruning.quality-budget=0.02");
    }

    @Test
    void downStopsTheControllerWithWhatItStartedAndEveryProcessOfThePidFiles() throws Exception {
        Path state = home.resolve(".moe");
        // a controller in the middle of starting a replica: its child runs
        Process controller = new ProcessBuilder("sh", "-c", "sleep 300 & wait").start();
        await().atMost(java.time.Duration.ofSeconds(10)).until(() -> controller.toHandle().children().findAny()
                .isPresent());
        ProcessHandle starting = controller.toHandle().children().findFirst().orElseThrow();
        Process replica = new ProcessBuilder("sleep", "300").start();
        Process expert = new ProcessBuilder("sleep", "300").start();
        Process reusedPid = new ProcessBuilder("sleep", "300").start(); // not ours: expert-1's pid handed on
        ServiceProcess recordedExpert = new ServiceProcess("expert-0", "expert", 50060, expert.pid(), "e.log");
        ServiceProcess stoppedByController = new ServiceProcess("expert-2", "expert", 50062, reusedPid.pid(), "e2.log");
        new ClusterState("m", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4", null, null,
                List.of(recordedExpert, stoppedByController,
                        new ServiceProcess("placement", "controller", 50053, controller.pid(), "p.log")),
                null, null).write(state);
        new ExpertPidFile("expert-0", expert.pid(), "127.0.0.1:50060", 0).write(state);
        new ExpertPidFile("expert-0-r1", replica.pid(), "127.0.0.1:50070", 0).write(state);
        new ExpertPidFile("expert-1", Long.MAX_VALUE / 2, "127.0.0.1:50061", 1).write(state); // exited already

        LocalCluster.Down down = cluster().down(java.time.Duration.ofSeconds(10));

        assertThat(reusedPid.isAlive()).as("the pid of an expert the controller stopped is left alone").isTrue();
        reusedPid.destroyForcibly();
        assertThat(down.stopped()).as("controller, expert, replica, and the recorded expert-2").isEqualTo(4);
        assertThat(controller.isAlive()).isFalse();
        assertThat(starting.isAlive()).as("the controller's child").isFalse();
        assertThat(replica.isAlive()).isFalse();
        assertThat(expert.isAlive()).isFalse();
        assertThat(ExpertPidFile.readAll(state)).isEmpty();
        assertThat(state.resolve("cluster.json")).doesNotExist();
    }

    private LocalCluster cluster() {
        return new LocalCluster(home, home.resolve(".moe"));
    }

    private ServiceLauncher launcher() {
        return new ServiceLauncher(home, home.resolve(".moe"));
    }

    private Path file(String relative, Instant modified) throws Exception {
        Path path = home.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, relative);
        Files.setLastModifiedTime(path, FileTime.from(modified));
        return path;
    }
}
