package io.moemesh.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The cases of a model's {@code golden.json} (tools/reference/golden.py): what PyTorch generated. */
final class Golden {

    private Golden() {
    }

    /** Prompt ids and PyTorch's greedy continuation (32 tokens, EOS ignored). */
    record Case(String prompt, List<Integer> inputIds, List<Integer> greedy) {
    }

    static Path model(String name) {
        return Path.of(System.getProperty("moemesh.models.dir", "../models"), name).toAbsolutePath().normalize();
    }

    static List<Case> cases(Path model) {
        try {
            JsonNode root = JsonMapper.builder().build().readTree(Files.readString(model.resolve("golden.json")));
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                cases.add(new Case(c.get("prompt").asString(), ints(c.get("input_ids")), ints(c.get("greedy").get("ids"))));
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
