package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
import static io.moemesh.cli.MoeRun.freePortRange;
import static io.moemesh.cli.MoeRun.moe;
import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.ServiceProcess;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.testing.InProcessReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code moe up --emulate-network} on {@code tiny-random} (8 expert processes): every router-to-expert
 * call crosses the proxy process, greedy output still equals the in-process engine's, and
 * {@code moe network} reports the traffic and switches the profile of the running cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmulatedNetworkIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final List<String> PROMPTS = List.of("Der Mensch ist ", "Once upon a time, ");
    private static final int MAX_TOKENS = 12;

    private Path stateDir;
    private Map<String, List<Integer>> reference;

    @BeforeAll
    void up() throws IOException {
        reference = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        stateDir = Files.createTempDirectory("moe-network-it");
        String expertPorts = freePortRange(8);
        String proxyPorts = freePortRange(8);
        MoeRun up = MoeRun.up(MODEL, stateDir, freePort(), "--placement", "off", "--emulate-network",
                "rtt=2ms,jitter=100us,bandwidth=1gbit,node=2", "--network-port", proxyPorts, "--expert-port", expertPorts);
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.out()).contains("emulated network between router and experts: rtt=2000us,jitter=100us,"
                + "bandwidth=1000mbit,node=2,scale=1");
    }

    @AfterAll
    void down() {
        MoeRun.down(stateDir);
    }

    @Test
    void greedyTokensThroughTheEmulatedNetworkEqualTheInProcessEngine() {
        try (MoeMeshClient client = RemoteGeneration.connect(ClusterState.read(stateDir))) {
            for (String prompt : PROMPTS) {
                GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS)
                        .ignoreEos(true).build());

                assertThat(r.tokenIds()).as(prompt).isEqualTo(reference.get(prompt));
                assertThat(r.degraded()).as(prompt).isFalse();
            }
        }
        MoeRun network = moe("network", "--state-dir", stateDir.toString());
        assertThat(network.code()).as(network.err()).isZero();
        assertThat(network.out()).contains("rtt=2000us").containsPattern("chunks=[1-9][0-9]*");
    }

    @Test
    void theProxyIsAProcessOfTheClusterBesideEightExperts() {
        ClusterState state = ClusterState.read(stateDir);

        assertThat(state.processes()).extracting(ServiceProcess::role).filteredOn("network"::equals).hasSize(1);
        assertThat(state.processes()).extracting(ServiceProcess::role).filteredOn("expert"::equals).hasSize(8);
        MoeRun status = moe("status", "--state-dir", stateDir.toString());
        assertThat(status.code()).as(status.out()).isZero();
    }

    @Test
    void moeNetworkSwitchesTheRunningClusterToAPreset() {
        MoeRun zone = moe("network", "zone", "--state-dir", stateDir.toString());
        MoeRun back = moe("network", "rtt=2ms,jitter=100us,bandwidth=1gbit,node=2", "--state-dir", stateDir.toString());

        assertThat(zone.code()).as(zone.err()).isZero();
        assertThat(zone.out()).contains("rtt=500us,jitter=50us,bandwidth=10000mbit,node=1,scale=1 (zone)");
        assertThat(back.code()).as(back.err()).isZero();
        MoeRun bad = moe("network", "warp-speed", "--state-dir", stateDir.toString());
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("preset");
    }
}
