package io.moemesh.cli;

import static io.moemesh.cli.MoeRun.freePort;
import static io.moemesh.cli.MoeRun.freePortRange;
import static org.assertj.core.api.Assertions.assertThat;

import io.moemesh.cli.local.ClusterState;
import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.client.ModelInfo;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code moe up} serves every family's tiny random checkpoint as separate processes, several experts
 * per process (so a token's top-4 or top-8 experts are partly co-hosted), and the greedy tokens
 * through the gateway equal both the in-process engine's and PyTorch's ({@code golden.json}).
 */
class ModelFamiliesIT {

    private static final Path MODELS = Path.of(System.getProperty("moemesh.models.dir", "../models"));
    private static final int GREEDY_TOKENS = 32;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "tiny-qwen2-moe, Qwen2MoeForCausalLM, 4",
            "tiny-qwen3-moe, Qwen3MoeForCausalLM, 8",
            "tiny-olmoe, OlmoeForCausalLM, 8",
            "tiny-deepseek-moe, DeepseekForCausalLM, 4"})
    void greedyTokensThroughTheClusterEqualTheInProcessEngineAndPyTorch(String name, String architecture,
            int expertsPerProcess) throws IOException {
        Path model = MODELS.resolve(name).toAbsolutePath().normalize();
        List<Case> cases = cases(model);
        List<int[]> inProcess = inProcess(model, cases);
        Path stateDir = Files.createTempDirectory("moe-family-it");
        try {
            MoeRun up = MoeRun.up(model, stateDir, freePort(), "--experts-per-process",
                    String.valueOf(expertsPerProcess), "--placement", "off", "--expert-port", freePortRange(64));
            assertThat(up.code()).as(up.err()).isZero();
            try (MoeMeshClient client = RemoteGeneration.connect(ClusterState.read(stateDir))) {
                ModelInfo info = client.listModels().getFirst();
                assertThat(info.architecture()).isEqualTo(architecture);
                for (int i = 0; i < cases.size(); i++) {
                    Case c = cases.get(i);
                    GenerationResult r = client.generate(GenerateOptions.builder().promptIds(c.inputIds())
                            .maxTokens(GREEDY_TOKENS).ignoreEos(true).build());

                    assertThat(r.degraded()).as(c.prompt()).isFalse();
                    assertThat(r.tokenIds()).as("distributed vs in process: " + c.prompt())
                            .isEqualTo(Arrays.stream(inProcess.get(i)).boxed().toList());
                    assertThat(r.tokenIds()).as("distributed vs PyTorch: " + c.prompt()).isEqualTo(c.greedy());
                }
            }
        } finally {
            MoeRun.down(stateDir);
        }
    }

    private static List<int[]> inProcess(Path model, List<Case> cases) {
        SamplingParams greedy = new SamplingParams(0f, 0, 1f, 0, GREEDY_TOKENS, List.of(), true);
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), 0)) {
            List<Generation> out = engine.generateIds(
                    cases.stream().map(c -> c.inputIds().stream().mapToInt(Integer::intValue).toArray()).toList(),
                    cases.stream().map(c -> greedy).toList(), TokenListener.NONE);
            return out.stream().map(Generation::tokenIds).toList();
        }
    }

    private record Case(String prompt, List<Integer> inputIds, List<Integer> greedy) {
    }

    private static List<Case> cases(Path model) throws IOException {
        JsonNode root = JsonMapper.builder().build().readTree(Files.readString(model.resolve("golden.json")));
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            cases.add(new Case(c.get("prompt").asString(), ints(c.get("input_ids")), ints(c.get("greedy").get("ids"))));
        }
        return cases;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.intValue());
        }
        return out;
    }
}
