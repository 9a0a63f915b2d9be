package io.moemesh.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.engine.TestModels;
import io.moemesh.core.engine.TokenListener;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.safetensors.Checkpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Planned pruning masks experts at the gate exactly as unavailability does, but is reported as pruning
 * (not degraded), and routing statistics see what the gate wanted.
 */
class PrunedRoutingTest {

    private static final int[] PROMPT = "The quick brown fox jumps over".chars().toArray();

    private Checkpoint checkpoint;
    private ModelConfig config;
    private DenseTransformer dense;
    private LocalExperts local;

    @BeforeEach
    void load() {
        checkpoint = Checkpoint.open(TestModels.tinyRandom());
        config = ModelConfig.load(TestModels.tinyRandom());
        dense = new DenseTransformer(config, DenseWeights.load(checkpoint, config), Kernels.best(), 0);
        local = LocalExperts.load(checkpoint, config, Kernels.best());
    }

    @AfterEach
    void close() {
        checkpoint.close();
    }

    /** Everything one forward pass reports. */
    static final class Trace implements RoutingObserver {
        final List<String> routes = new ArrayList<>();
        final List<String> wanted = new ArrayList<>(); // what statistics see
        final List<String> skips = new ArrayList<>();
        final List<String> prunes = new ArrayList<>();

        @Override
        public void onRoute(int layer, int token, GateDecision d) {
            routes.add(layer + "/" + token + "=" + Arrays.toString(d.experts()));
            wanted.add(layer + "/" + token + "=" + Arrays.toString(d.experts()));
        }

        @Override
        public void onPrunedRoute(int layer, int token, GateDecision served, GateDecision want) {
            routes.add(layer + "/" + token + "=" + Arrays.toString(served.experts()));
            wanted.add(layer + "/" + token + "=" + Arrays.toString(want.experts()));
        }

        @Override
        public void onSkip(int layer, int token, int expert) {
            skips.add(layer + "/" + token + "-" + expert);
        }

        @Override
        public void onPrune(int layer, int token, int expert) {
            prunes.add(layer + "/" + token + "-" + expert);
        }

        boolean routesTo(int layer, int expert) {
            return routes.stream().anyMatch(r -> r.startsWith(layer + "/") && r.matches(".*[\\[ ]" + expert + "[,\\]].*"));
        }
    }

    /** Local experts of which the given experts are unavailable at every layer. */
    private ExpertDispatch without(Set<Integer> down) {
        return new ExpertDispatch() {
            @Override
            public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
                local.combine(layer, hidden, tokens, routes, out);
            }

            @Override
            public boolean isAvailable(int layer, int expert) {
                return !down.contains(expert);
            }
        };
    }

    private float[] run(ExpertDispatch experts, PrunedExperts pruned, Trace trace) {
        KvCache cache = new KvCache(config, PROMPT.length);
        KvCache[] caches = new KvCache[PROMPT.length];
        Arrays.fill(caches, cache);
        int[] positions = new int[PROMPT.length];
        Arrays.setAll(positions, i -> i);
        boolean[] want = new boolean[PROMPT.length];
        Arrays.fill(want, true);
        return dense.forward(new TokenBatch(PROMPT, positions, caches, want), experts, pruned, trace);
    }

    /** Whole experts (every MoE layer's unit of each). */
    private PrunedExperts whole(int... experts) {
        List<PrunedExperts.Unit> units = new ArrayList<>();
        for (int l = 0; l < config.numMoeLayers(); l++) {
            for (int e : experts) {
                units.add(new PrunedExperts.Unit(l, e));
            }
        }
        return PrunedExperts.of(config.numMoeLayers(), config.numExperts(), units);
    }

    /** The expert the unpruned model routes most tokens to, over every layer. */
    private int busiest(Trace healthy) {
        int[] counts = new int[config.numExperts()];
        for (String r : healthy.routes) {
            for (String e : r.substring(r.indexOf('[') + 1, r.indexOf(']')).split(", ")) {
                counts[Integer.parseInt(e)]++;
            }
        }
        int best = 0;
        for (int e = 1; e < counts.length; e++) {
            best = counts[e] > counts[best] ? e : best;
        }
        return best;
    }

    @Test
    void prunedExpertsAreNeverRoutedToAndChangeTheLogits() {
        Trace healthy = new Trace();
        float[] unmasked = run(local, PrunedExperts.NONE, healthy);
        int pruned = busiest(healthy);
        Trace masked = new Trace();

        float[] logits = run(local, whole(pruned), masked);

        for (int l = 0; l < config.numMoeLayers(); l++) {
            assertThat(masked.routesTo(l, pruned)).as("layer %d routes to pruned expert %d", l, pruned).isFalse();
        }
        assertThat(logits).isNotEqualTo(unmasked);
        assertThat(masked.prunes).isNotEmpty().allMatch(p -> p.endsWith("-" + pruned));
        assertThat(masked.skips).isEmpty();
    }

    @Test
    void pruningEqualsUnavailabilityExceptThatNothingIsDegraded() {
        Trace healthy = new Trace();
        run(local, PrunedExperts.NONE, healthy);
        int expert = busiest(healthy);
        Trace unavailable = new Trace();
        Trace pruned = new Trace();

        float[] degradedLogits = run(without(Set.of(expert)), PrunedExperts.NONE, unavailable);
        float[] prunedLogits = run(local, whole(expert), pruned);

        assertThat(prunedLogits).containsExactly(degradedLogits);
        assertThat(pruned.routes).containsExactlyElementsOf(unavailable.routes);
        assertThat(pruned.prunes).containsExactlyElementsOf(unavailable.skips);
        assertThat(pruned.skips).isEmpty();
    }

    @Test
    void statisticsSeeWhatTheGateWantedWithoutThePruningMask() {
        Trace healthy = new Trace();
        run(local, PrunedExperts.NONE, healthy);
        int expert = busiest(healthy);
        int last = config.numMoeLayers() - 1; // pruned there only, every layer sees the healthy hidden states
        Trace pruned = new Trace();

        run(local, PrunedExperts.of(config.numMoeLayers(), config.numExperts(),
                List.of(new PrunedExperts.Unit(last, expert))), pruned);

        assertThat(pruned.wanted).containsExactlyElementsOf(healthy.routes);
        assertThat(pruned.prunes).isNotEmpty().allMatch(p -> p.startsWith(last + "/"));
        assertThat(pruned.routes).isNotEqualTo(healthy.routes);
    }

    @Test
    void prunedAndUnavailableExpertsAreBothMasked() {
        Trace healthy = new Trace();
        run(local, PrunedExperts.NONE, healthy);
        int prunedExpert = busiest(healthy);
        int downExpert = (prunedExpert + 1) % config.numExperts();
        Trace both = new Trace();

        run(without(Set.of(downExpert)), whole(prunedExpert), both);

        for (int l = 0; l < config.numMoeLayers(); l++) {
            assertThat(both.routesTo(l, prunedExpert)).isFalse();
            assertThat(both.routesTo(l, downExpert)).isFalse();
        }
        assertThat(both.prunes).allMatch(p -> p.endsWith("-" + prunedExpert));
        assertThat(both.skips).allMatch(s -> s.endsWith("-" + downExpert));
    }

    @Test
    void refusesASetThatLeavesALayerFewerExpertsThanTheTopK() {
        int[] all = new int[config.numExperts() - dense.topK() + 1];
        Arrays.setAll(all, e -> e);
        PrunedExperts tooMany = whole(all);

        assertThatThrownBy(() -> run(local, tooMany, new Trace()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MoE layer 0").hasMessageContaining("prune at most");
    }

    @Test
    void refusesAUnitOutsideTheModel() {
        assertThatThrownBy(() -> PrunedExperts.of(config.numMoeLayers(), config.numExperts(),
                List.of(new PrunedExperts.Unit(config.numMoeLayers(), 0))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the model");
    }

    @Test
    void theInProcessEngineGeneratesWithThePrunedSetMasked() {
        SamplingParams greedy = new SamplingParams(0f, 0, 1f, 0, 8, List.of(), true);
        List<GenerationRequest> requests = List.of(new GenerationRequest("Hello there", greedy));
        try (InProcessEngine engine = InProcessEngine.open(TestModels.tinyRandom())) {
            Trace healthy = new Trace();
            engine.score(engine.tokenizer().encode("Hello there"), healthy);
            PrunedExperts pruned = whole(busiest(healthy));

            int[] plain = engine.generate(requests, TokenListener.NONE).getFirst().tokenIds();
            int[] masked = engine.generate(requests, pruned, TokenListener.NONE).getFirst().tokenIds();
            int[] again = engine.generate(requests, pruned, TokenListener.NONE).getFirst().tokenIds();

            assertThat(masked).isEqualTo(again).isNotEqualTo(plain);
        }
    }
}
