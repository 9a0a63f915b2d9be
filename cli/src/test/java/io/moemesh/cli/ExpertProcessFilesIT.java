package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
import static io.moemesh.cli.MoeRun.moe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.moemesh.cli.local.ClusterState;
import io.moemesh.cli.local.EndpointsFile;
import io.moemesh.cli.local.ReplicaPidFile;
import io.moemesh.cli.local.StartExpertScript;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.proto.internal.v1.ExpertEndpointState;
import io.moemesh.proto.internal.v1.ExpertEndpointsGrpc;
import io.moemesh.proto.internal.v1.GetExpertEndpointsRequest;
import io.moemesh.testing.InProcessReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the placement controller does with {@code moe up}'s files, done by hand: start a replica of an
 * expert with {@code start-expert}, record it in a pid file and list it in the experts file; the router
 * picks it up without a restart, drops it when it leaves the file, {@code moe status} lists it and
 * {@code moe down} stops it. On tiny-random (8 experts, one process each), placement off.
 */
class ExpertProcessFilesIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "tiny-random");
    private static final String PROMPT = "Der Mensch ist ";

    private Path stateDir;
    private Process replica;
    private ManagedChannel internal;

    @AfterEach
    void down() {
        if (internal != null) {
            internal.shutdownNow();
        }
        MoeRun.down(stateDir);
        if (replica != null) {
            replica.destroyForcibly();
        }
    }

    private List<String> routerTargets() {
        return ExpertEndpointsGrpc.newBlockingStub(internal).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getExpertEndpoints(GetExpertEndpointsRequest.getDefaultInstance()).getEndpointsList().stream()
                .filter(e -> e.hasDescription()).map(ExpertEndpointState::getTarget).toList();
    }

    private List<String> listedTargets() throws Exception {
        return Files.readAllLines(EndpointsFile.in(stateDir)).stream().filter(l -> !l.startsWith("#")).toList();
    }

    @Test
    void aReplicaStartedWithTheLaunchScriptJoinsAndLeavesTheRouterThroughTheFiles() throws Exception {
        List<Integer> reference = InProcessReference.greedy(MODEL, List.of(PROMPT), 8).get(PROMPT);
        stateDir = Files.createTempDirectory("moe-expert-files-it");
        MoeRun up = MoeRun.up(MODEL, stateDir, freePort(), "--placement", "off", "--expert-port",
                MoeRun.freePortRange(8));
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.out()).contains("expert processes: started by moe up only");
        ClusterState state = ClusterState.read(stateDir);
        List<String> experts = listedTargets();
        assertThat(experts).hasSize(8);
        assertThat(ReplicaPidFile.readAll(stateDir)).hasSize(8).extracting(ReplicaPidFile::target)
                .containsExactlyInAnyOrderElementsOf(experts);
        String[] hostPort = state.routerInternal().split(":");
        internal = Grpc.newChannelBuilderForAddress(hostPort[0], Integer.parseInt(hostPort[1]),
                InsecureChannelCredentials.create()).build();
        assertThat(routerTargets()).containsExactlyInAnyOrderElementsOf(experts);

        // the controller's part: start, wait for SERVING, record, list
        int port = Integer.parseInt(freePort());
        Path log = stateDir.resolve("logs/expert-3-r1.log");
        replica = new ProcessBuilder(StartExpertScript.in(stateDir).toString(), "3", String.valueOf(port), freePort())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String target = "127.0.0.1:" + port;
        new ReplicaPidFile("expert-3-r1", replica.pid(), target, 3).write(stateDir);
        List<String> withReplica = new ArrayList<>(experts);
        withReplica.add(target);
        EndpointsFile.write(stateDir, withReplica);

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> routerTargets().contains(target));
        MoeRun status = moe("status", "--state-dir", stateDir.toString());
        assertThat(status.out()).as(status.out()).containsPattern("expert-3-r1 +expert +" + target + " .*SERVING");
        try (MoeMeshClient client = RemoteGeneration.connect(state)) {
            GenerationResult r = client.generate(GenerateOptions.builder().prompt(PROMPT).maxTokens(8).ignoreEos(true)
                    .build());
            assertThat(r.tokenIds()).isEqualTo(reference);
            assertThat(r.degraded()).isFalse();
        }

        EndpointsFile.write(stateDir, experts); // leaves the file: the router drops it
        await().atMost(Duration.ofMinutes(1)).until(() -> !routerTargets().contains(target));
        assertThat(replica.isAlive()).isTrue();

        MoeRun down = moe("down", "--state-dir", stateDir.toString(), "--grace-seconds", "20");
        assertThat(down.out()).contains("stopped 11 processes"); // 8 experts, router, gateway and the replica
        assertThat(replica.waitFor(30, TimeUnit.SECONDS)).as("moe down stopped the replica").isTrue();
        assertThat(ReplicaPidFile.readAll(stateDir)).isEmpty();
    }
}
