package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

        assertThat(LocalCluster.expertArguments(model, ExpertGroup.of(3), 1, 50063,
                List.of(new Unit(1, 7), new Unit(2, 9))))
                .contains("--moemesh.expert.experts=3", "--moemesh.expert.extra-units=7:1,9:2");
        assertThat(LocalCluster.expertArguments(model, ExpertGroup.of(3), 1, 50063, List.of()))
                .noneMatch(a -> a.startsWith("--moemesh.expert.extra-units"));
    }

    @Test
    void aServiceOfOneExpertHostsItWithOneWorkerAsEver() {
        assertThat(LocalCluster.expertArguments(Path.of("models/m"), ExpertGroup.of(3), 1, 50063, List.of()))
                .contains("--moemesh.expert.experts=3", "--moemesh.expert.grpc-port=50063",
                        "--moemesh.expert.workers=1");
    }

    @Test
    void aPackedProcessHostsEveryExpertOfItsGroupWithItsWorkers() {
        assertThat(LocalCluster.expertArguments(Path.of("models/m"), new ExpertGroup(4, 7), 2, 50061, List.of()))
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

        List<String> args = LocalCluster.routerArguments(Path.of("models/m"),
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
            assertThat(LocalCluster.localModeArguments(role)).as(role).containsExactlyInAnyOrder(
                    "--moemesh.transport.bind-address=127.0.0.1", "--server.address=127.0.0.1",
                    "--moemesh.auth.allow-unauthenticated=true");
        }
        assertThat(LocalCluster.localModeArguments("gateway")).containsExactlyInAnyOrder(
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
