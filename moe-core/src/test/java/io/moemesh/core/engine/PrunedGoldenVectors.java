package io.moemesh.core.engine;

import io.moemesh.core.model.PrunedExperts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code golden/pruned-mesh-mini-16e.json} written by {@code tools/reference/pruned_golden.py}: what PyTorch
 * computed for fixed prompts with whole experts masked in every MoE layer's gate (format in the script).
 */
record PrunedGoldenVectors(String model, int greedySteps, List<Integer> moeLayers, List<Case> cases) {

    /** Token-steps whose unmasked top-k wanted {@code expert} at {@code layer}: prompt positions, then fed-back ones. */
    record RoutedAway(int layer, int expert, int promptPositions, int generatedPositions) {
    }

    record Case(String prompt, String prunedSet, int[] inputIds, int[] prunedExperts, int[] greedy,
            GoldenVectors.TopLogits firstStep, List<RoutedAway> routedAway) {

        /** Every MoE layer's unit of each pruned expert, as the controller sends them. */
        PrunedExperts mask(int numMoeLayers, int numExperts) {
            List<PrunedExperts.Unit> units = new ArrayList<>();
            for (int layer = 0; layer < numMoeLayers; layer++) {
                for (int e : prunedExperts) {
                    units.add(new PrunedExperts.Unit(layer, e));
                }
            }
            return PrunedExperts.of(numMoeLayers, numExperts, units);
        }
    }

    static PrunedGoldenVectors read(Path file) {
        try {
            JsonNode root = JsonMapper.builder().build().readTree(Files.readString(file));
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                JsonNode top = c.get("first_step_top_logits");
                List<RoutedAway> away = new ArrayList<>();
                for (JsonNode r : c.get("routed_away")) {
                    away.add(new RoutedAway(r.get("layer").intValue(), r.get("expert").intValue(),
                            r.get("prompt_positions").intValue(), r.get("generated_positions").intValue()));
                }
                cases.add(new Case(c.get("prompt").asString(), c.get("pruned_set").asString(), ints(c.get("input_ids")),
                        ints(c.get("pruned_experts")), ints(c.get("greedy").get("ids")),
                        new GoldenVectors.TopLogits(ints(top.get("ids")), floats(top.get("values"))), away));
            }
            List<Integer> layers = new ArrayList<>();
            root.get("moe_layers").forEach(l -> layers.add(l.intValue()));
            return new PrunedGoldenVectors(root.get("model").asString(), root.get("greedy_steps").intValue(), layers,
                    cases);
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
