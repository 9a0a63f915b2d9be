package io.moemesh.core.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code golden.json} written by {@code tools/reference/golden.py}: what PyTorch computed for fixed prompts. */
record GoldenVectors(String model, List<Case> cases) {

    record Route(int[] experts, float[] weights) {
    }

    record TopLogits(int[] ids, float[] values) {
    }

    /** {@code routing[layer][token]}, {@code topLogits[position]}, {@code greedy}: 32 argmax tokens ignoring EOS. */
    record Case(String prompt, int[] inputIds, Route[][] routing, TopLogits[] topLogits, int[] greedy) {
    }

    static GoldenVectors read(Path modelDir) {
        try {
            JsonNode root = JsonMapper.builder().build().readTree(Files.readString(modelDir.resolve("golden.json")));
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode routing = c.get("routing");
                Route[][] routes = new Route[routing.size()][];
                for (int l = 0; l < routes.length; l++) {
                    JsonNode layer = routing.get(l);
                    routes[l] = new Route[layer.size()];
                    for (int t = 0; t < routes[l].length; t++) {
                        routes[l][t] = new Route(ints(layer.get(t).get("experts")), floats(layer.get(t).get("weights")));
                    }
                }
                JsonNode top = c.get("top_logits");
                TopLogits[] tops = new TopLogits[top.size()];
                for (int p = 0; p < tops.length; p++) {
                    tops[p] = new TopLogits(ints(top.get(p).get("ids")), floats(top.get(p).get("values")));
                }
                cases.add(new Case(c.get("prompt").asString(), ints(c.get("input_ids")), routes, tops,
                        ints(c.get("greedy").get("ids"))));
            }
            return new GoldenVectors(root.get("model").asString(), cases);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).doubleValue();
        }
        return out;
    }
}
