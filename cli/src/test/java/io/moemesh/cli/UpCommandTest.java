package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ExpertProcesses;
import io.moemesh.cli.local.LocalCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class UpCommandTest {

    /** The 8-expert tiny random Mixtral: only its config.json is read here. */
    private static final String TINY_RANDOM = System.getProperty("moemesh.models.dir", "../models") + "/tiny-random";

    private final StringWriter err = new StringWriter();

    @Test
    void theRouterServesItsMetricsOnPort50055ByDefault() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m");

        assertThat(up.layout(1).routerHttpPort()).isEqualTo(50055);
        assertThat(up.layout(1).routerPort()).isEqualTo(50052);
    }

    @Test
    void routerHttpPortMovesTheRoutersMetricsPort() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--router-http-port", "51055");

        assertThat(up.layout(1).routerHttpPort()).isEqualTo(51055);
    }

    @Test
    void aLayoutWithoutARouterHttpPortLeavesTheRouterGrpcOnly() {
        LocalCluster.Layout layout = new LocalCluster.Layout(1, LocalCluster.RouterPorts.grpcOnly(2, 4), 3, 1,
                java.time.Duration.ofSeconds(1));

        assertThat(layout.routerHttpPort()).isEqualTo(LocalCluster.Layout.NO_HTTP);
        assertThat(layout.firstExpertPort()).isEqualTo(3);
    }

    @Test
    void theRoutersInternalPortIsPartOfTheLayout() {
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m").layout(1).routerInternalPort())
                .isEqualTo(50056);
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--router-internal-port",
                "51056").layout(1).routerInternalPort()).isEqualTo(51056);
    }

    @Test
    void autoPackingIsTheDefault() {
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m").packing().isAuto()).isTrue();
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--experts-per-process", "4")
                .packing().fixed()).isEqualTo(4);
    }

    @Test
    void refusesFewerThanOneExpertPerProcess() {
        int code = up("--experts-per-process", "0", "--placement", "off");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--experts-per-process: experts per process must be at least 1, got 0");
    }

    @Test
    void refusesAnExpertsPerProcessThatIsNeitherANumberNorAuto() {
        assertThat(up("--experts-per-process", "many")).isEqualTo(2);
        assertThat(err.toString()).contains("experts per process must be auto or a number, got 'many'");
    }

    @Test
    void refusesMoreExpertsPerProcessThanTheModelHas() {
        int code = upModel(TINY_RANDOM, "--experts-per-process", "9", "--placement", "off");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--experts-per-process: 9 experts per process is more than the model's "
                + "8 experts: use 1..8 or auto");
    }

    @Test
    void refusesThePlacementControllerWithPackedProcesses() {
        assertThat(up("--experts-per-process", "4", "--placement", "on")).isEqualTo(2);
        assertThat(err.toString()).contains("with 4 experts per process (--experts-per-process 4) it has nothing to "
                + "place: add --placement off");
        assertThat(up("--experts-per-process", "4", "--placement", "dry-run")).isEqualTo(2);
    }

    @Test
    void refusesAPlanWithPackedProcesses() {
        int code = up("--experts-per-process", "4", "--placement", "off", "--plan", "no-such.plan");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--plan gives partner units to expert services, one per expert");
    }

    @Test
    void printsTheDashboardOnTheControllersHttpPort() {
        ClusterState state = cluster("http://127.0.0.1:51054/placement");

        assertThat(state.dashboardUrl()).isEqualTo("http://127.0.0.1:51054/dashboard");
        assertThat(UpCommand.dashboardLine(state)).startsWith("dashboard: http://127.0.0.1:51054/dashboard ");
    }

    @Test
    void withoutAControllerSaysTheDashboardNeedsOne() {
        ClusterState state = cluster(null);

        assertThat(state.dashboardUrl()).isNull();
        assertThat(UpCommand.dashboardLine(state)).startsWith("dashboard: none: the placement controller serves it")
                .contains("--placement dry-run").doesNotContain("http://");
    }

    @Test
    void theControllersHttpPortDefaultsToTheOneTheDemoNames() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m");

        assertThat(up.controllerHttpPort).isEqualTo(Integer.parseInt(UpCommand.DEFAULT_CONTROLLER_HTTP_PORT));
        assertThat(DemoCommand.dashboardHint(java.nio.file.Path.of("models/m")))
                .contains("moe up --model models/m").contains("http://127.0.0.1:" + up.controllerHttpPort + "/dashboard");
    }

    @Test
    void theControllerStartsNoReplicaAndPrunesNothingByDefault() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m");

        assertThat(up.maxExpertProcesses).isZero();
        assertThat(up.pruning).isFalse();
        assertThat(up.pruningThreshold).isEqualTo(0.25);
        assertThat(up.pruningBudget).isEqualTo(0.02);
    }

    @Test
    void refusesReplicasOrPruningWithoutThePlacementController() {
        assertThat(upModel(TINY_RANDOM, "--pruning", "--placement", "off")).isEqualTo(2);
        assertThat(err.toString()).contains("--max-expert-processes and --pruning are the placement controller's, which"
                + " does not run with --placement off");
        assertThat(upModel(TINY_RANDOM, "--max-expert-processes", "12", "--experts-per-process", "2",
                "--placement", "auto")).isEqualTo(2);
        assertThat(err.toString()).contains("and 2 experts per process");
    }

    @Test
    void refusesReplicasBehindTheEmulatedNetwork() {
        assertThat(upModel(TINY_RANDOM, "--max-expert-processes", "12", "--emulate-network", "rack")).isEqualTo(2);
        assertThat(err.toString()).contains("the emulated network's proxies do not front");
    }

    @Test
    void refusesANegativeProcessBudgetOrAThresholdOutsideZeroToOne() {
        assertThat(upModel(TINY_RANDOM, "--max-expert-processes", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("max expert processes must be >= 0");
        assertThat(upModel(TINY_RANDOM, "--pruning", "--pruning-threshold", "1.5")).isEqualTo(2);
        assertThat(err.toString()).contains("the pruning threshold must be in (0, 1)");
    }

    @Test
    void saysWhoStartsExpertProcessesAndWhereTheyAreRecorded() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--state-dir", "st");
        LocalCluster.Controller controller = new LocalCluster.Controller(1, 2, java.time.Duration.ofSeconds(30), 2000,
                0.05, 1.25, 1.25, false, new ExpertProcesses(12, true, 0.25, 0.02));

        assertThat(up.expertProcessesLine(controller, 1)).contains("managed by the placement controller (replicas: up"
                + " to 12 processes in all; pruning: experts below 0.25 of the uniform share, quality budget 0.02 of"
                + " routed token-slots)")
                .contains("st/start-expert").contains("st/replicas/*.pid").contains("st/expert-endpoints");
        assertThat(up.expertProcessesLine(null, 1)).contains("started by moe up only");
        assertThat(up.expertProcessesLine(null, 4)).contains("fixed (packed, no start-expert script)");
    }

    /** The state {@code moe up} records, with the controller's JSON status at {@code placementUrl} (null: none). */
    private static ClusterState cluster(String placementUrl) {
        return new ClusterState("models/m", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3",
                placementUrl == null ? null : "127.0.0.1:4", placementUrl, null, List.of(), null, null);
    }

    /** {@code moe up} on a model that is never read: every refusal here comes before anything starts. */
    private int up(String... options) {
        return upModel("no/such/model", options);
    }

    /** {@code moe up} of {@code model}, whose config.json is read but nothing started. */
    private int upModel(String model, String... options) {
        CommandLine cmd = MoeCommand.commandLine();
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("up", "--model", model, "--state-dir",
                "target/no-such-state"));
        args.addAll(List.of(options));
        return cmd.execute(args.toArray(String[]::new));
    }
}
