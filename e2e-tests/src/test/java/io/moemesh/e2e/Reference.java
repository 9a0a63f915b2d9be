package io.moemesh.e2e;

import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.kernel.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the containers must produce: the in-process engine's tokens, and PyTorch's ({@code golden.json}). */
final class Reference {

    private Reference() {
    }

    static Path model(String name) {
        return Path.of(System.getProperty("moemesh.models.dir", "../models"), name).toAbsolutePath().normalize();
    }

    /** Greedy continuations of {@code prompts} (text) by the in-process engine, EOS ignored. */
    static Map<String, List<Integer>> inProcess(Path model, List<String> prompts, int maxTokens) {
        return inProcess(model, prompts, new SamplingParams(0f, 0, 1f, 0, maxTokens, List.of(), true));
    }

    static Map<String, List<Integer>> inProcess(Path model, List<String> prompts, SamplingParams params) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.best(), 0)) {
            for (String prompt : prompts) {
                int[] ids = engine.generate(prompt, params, TokenListener.NONE).tokenIds();
                out.put(prompt, Arrays.stream(ids).boxed().toList());
            }
        }
        return out;
    }

    /** One case of {@code golden.json} (tools/reference/golden.py): prompt ids and PyTorch's 32 greedy tokens. */
    record GoldenCase(String prompt, List<Integer> inputIds, List<Integer> greedy) {
    }

    static List<GoldenCase> golden(Path model) {
        try {
            JsonNode root = JsonMapper.builder().build().readTree(Files.readString(model.resolve("golden.json")));
            List<GoldenCase> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                cases.add(new GoldenCase(c.get("prompt").asString(), ints(c.get("input_ids")),
                        ints(c.get("greedy").get("ids"))));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.intValue()));
        return out;
    }
}
