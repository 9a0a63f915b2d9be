package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
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
 * {@code moe up --experts-per-process 16 --placement off} on the shipped 16-expert model: one
 * expert process hosting every expert of every layer, a router and a gateway, driven through the
 * {@code moe} command as a user would, on free ports and its own state directory. Greedy output
 * must equal the in-process engine's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackedExpertsIT {

    private static final Path MODEL = Path.of(System.getProperty("moemesh.models.dir", "../models"), "mesh-mini-16e");
    private static final List<String> PROMPTS = List.of("Der Mensch ist ", "Once upon a time, ");
    private static final int MAX_TOKENS = 16;

    private Path stateDir;
    private Map<String, List<Integer>> reference;

    @BeforeAll
    void up() throws IOException {
        reference = InProcessReference.greedy(MODEL, PROMPTS, MAX_TOKENS);
        stateDir = Files.createTempDirectory("moe-packed-it");
        MoeRun up = MoeRun.up(MODEL, stateDir, freePort(), "--experts-per-process", "16", "--placement", "off",
                "--expert-port", freePort());
        assertThat(up.code()).as(up.err()).isZero();
    }

    @AfterAll
    void down() {
        MoeRun.down(stateDir);
    }

    @Test
    void startsOneExpertProcessForAllSixteenExpertsAndNoController() {
        ClusterState state = ClusterState.read(stateDir);

        assertThat(state.processes()).extracting(ServiceProcess::name)
                .containsExactlyInAnyOrder("experts-0-15", "router", "gateway");
        assertThat(state.controller()).isNull();
        MoeRun status = moe("status", "--state-dir", stateDir.toString());
        assertThat(status.code()).as(status.out()).isZero();
        assertThat(status.out()).contains("experts-0-15", "all 3 processes run and answer SERVING");
    }

    @Test
    void greedyTokensThroughThePackedProcessEqualTheInProcessEngine() {
        try (MoeMeshClient client = RemoteGeneration.connect(ClusterState.read(stateDir))) {
            for (String prompt : PROMPTS) {
                GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS)
                        .ignoreEos(true).build());

                assertThat(r.tokenIds()).as(prompt).isEqualTo(reference.get(prompt));
                assertThat(r.degraded()).as(prompt).isFalse();
            }
        }
    }

    @Test
    void moeGenerateThroughTheClusterPrintsWhatItPrintsInProcess() {
        String prompt = PROMPTS.getFirst();
        MoeRun distributed = moe("generate", "--state-dir", stateDir.toString(), "--prompt", prompt, "--max-tokens",
                String.valueOf(MAX_TOKENS), "--ignore-eos");
        MoeRun inProcess = moe("generate", "--model", MODEL.toString(), "--prompt", prompt, "--max-tokens",
                String.valueOf(MAX_TOKENS), "--ignore-eos");

        assertThat(distributed.code()).as(distributed.err()).isZero();
        assertThat(inProcess.code()).as(inProcess.err()).isZero();
        assertThat(distributed.out()).startsWith(prompt).isEqualTo(inProcess.out());
        assertThat(distributed.err()).contains(MAX_TOKENS + " generated").doesNotContain("DEGRADED");
    }
}
