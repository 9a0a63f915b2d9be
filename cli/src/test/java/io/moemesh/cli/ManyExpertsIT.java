package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
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
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Plain {@code moe up} (no packing or placement options) of a generated 64-expert model: the
 * default {@code --experts-per-process auto} packs 4 experts into each of 16 expert processes and,
 * since the controller places units per expert service, starts none. Greedy output through the
 * packed processes must equal the in-process engine's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManyExpertsIT {

    private static final Path MODELS = Path.of(System.getProperty("moemesh.models.dir", "../models"));
    private static final List<String> PROMPTS = List.of("Der Mensch ist ", "Once upon a time, ", "Ça va? ");
    private static final int MAX_TOKENS = 16;

    private Path model;
    private Path stateDir;
    private Map<String, List<Integer>> reference;
    private MoeRun up;

    @BeforeAll
    void up() throws IOException {
        model = ManyExpertsModel.write(Path.of("target", "many-experts-64"), 64, MODELS.resolve("tiny-random"));
        reference = InProcessReference.greedy(model, PROMPTS, MAX_TOKENS);
        stateDir = Files.createTempDirectory("moe-many-experts-it");
        up = MoeRun.up(model, stateDir, freePort(), "--expert-port", MoeRun.freePortRange(16));
        assertThat(up.code()).as(up.err()).isZero();
    }

    @AfterAll
    void down() {
        MoeRun.down(stateDir);
    }

    @Test
    void autoPacksSixtyFourExpertsIntoSixteenProcessesWithoutAController() {
        ClusterState state = ClusterState.read(stateDir);

        List<String> expected = IntStream.range(0, 16).mapToObj(k -> "experts-" + 4 * k + "-" + (4 * k + 3)).toList();
        assertThat(state.processes()).filteredOn(p -> p.role().equals("expert")).extracting(ServiceProcess::name)
                .containsExactlyElementsOf(expected);
        assertThat(state.controller()).isNull();
        assertThat(up.out()).contains("4 experts per process (--experts-per-process auto); no placement controller");
    }

    @Test
    void greedyTokensThroughThePackedProcessesEqualTheInProcessEngine() {
        try (MoeMeshClient client = RemoteGeneration.connect(ClusterState.read(stateDir))) {
            for (String prompt : PROMPTS) {
                GenerationResult r = client.generate(GenerateOptions.builder().prompt(prompt).maxTokens(MAX_TOKENS)
                        .ignoreEos(true).build());

                assertThat(r.tokenIds()).as(prompt).hasSize(MAX_TOKENS).isEqualTo(reference.get(prompt));
                assertThat(r.degraded()).as(prompt).isFalse();
            }
        }
    }
}
