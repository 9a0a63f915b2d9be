package io.moemesh.cli.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStateTest {

    @TempDir
    Path stateDir;

    @Test
    void theDashboardUrlFollowsFromTheRecordedPlacementUrlInsteadOfBeingStored() throws IOException {
        new ClusterState("models/m", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4",
                "http://127.0.0.1:51054/placement", null, List.of(), null, null).write(stateDir);

        assertThat(Files.readString(stateDir.resolve(ClusterState.FILE))).doesNotContain("dashboard");
        assertThat(ClusterState.read(stateDir).dashboardUrl()).isEqualTo("http://127.0.0.1:51054/dashboard");
    }
}
