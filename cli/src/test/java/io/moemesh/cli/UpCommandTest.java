package io.moemesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.cli.local.LocalCluster;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class UpCommandTest {

    @Test
    void theRouterServesItsMetricsOnPort50055ByDefault() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m");

        assertThat(up.layout().routerHttpPort()).isEqualTo(50055);
        assertThat(up.layout().routerPort()).isEqualTo(50052);
    }

    @Test
    void routerHttpPortMovesTheRoutersMetricsPort() {
        UpCommand up = CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--router-http-port", "51055");

        assertThat(up.layout().routerHttpPort()).isEqualTo(51055);
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
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m").layout().routerInternalPort())
                .isEqualTo(50056);
        assertThat(CommandLine.populateCommand(new UpCommand(), "--model", "models/m", "--router-internal-port",
                "51056").layout().routerInternalPort()).isEqualTo(51056);
    }
}
