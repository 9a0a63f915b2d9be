package io.moemesh.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.TestModels;
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

/** When experts cannot be served, tokens go to the next-best experts and the skips are reported. */
class DegradedRoutingTest {

    private static final int[] PROMPT = "The quick brown fox jumps".chars().toArray();

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

    /** Collects routes and skips of one forward pass. */
    static final class Trace implements RoutingObserver {
        final List<String> routes = new ArrayList<>();
        final List<String> skips = new ArrayList<>();

        @Override
        public void onRoute(int layer, int token, GateDecision d) {
            routes.add(layer + "/" + token + "=" + Arrays.toString(d.experts()));
        }

        @Override
        public void onSkip(int layer, int token, int expert) {
            skips.add(layer + "/" + token + "-" + expert);
        }
    }

    /** Local experts of which one (layer, expert) is down: reported up front or discovered during a call. */
    private ExpertDispatch withDown(int downLayer, int downExpert, boolean announced) {
        return new ExpertDispatch() {
            @Override
            public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
                for (int t = 0; t < tokens; t++) {
                    for (int e : routes[t].experts()) {
                        if (layer == downLayer && e == downExpert) {
                            throw new ExpertsUnavailableException(layer, Set.of(e), null);
                        }
                    }
                }
                local.combine(layer, hidden, tokens, routes, out);
            }

            @Override
            public boolean isAvailable(int layer, int expert) {
                return !(announced && layer == downLayer && expert == downExpert);
            }
        };
    }

    private float[] run(ExpertDispatch experts, Trace trace) {
        KvCache cache = new KvCache(config, PROMPT.length);
        KvCache[] caches = new KvCache[PROMPT.length];
        Arrays.fill(caches, cache);
        int[] positions = new int[PROMPT.length];
        Arrays.setAll(positions, i -> i);
        boolean[] want = new boolean[PROMPT.length];
        want[PROMPT.length - 1] = true;
        return dense.forward(new TokenBatch(PROMPT, positions, caches, want), experts, trace);
    }

    private int mostUsedExpert(Trace healthy, int layer) {
        int[] counts = new int[config.numExperts()];
        for (String r : healthy.routes) {
            if (r.startsWith(layer + "/")) {
                for (String e : r.substring(r.indexOf('[') + 1, r.indexOf(']')).split(", ")) {
                    counts[Integer.parseInt(e)]++;
                }
            }
        }
        int best = 0;
        for (int e = 1; e < counts.length; e++) {
            best = counts[e] > counts[best] ? e : best;
        }
        return best;
    }

    @Test
    void routesAroundAnUnavailableExpertAndReportsEverySkip() {
        Trace healthy = new Trace();
        run(local, healthy);
        int down = mostUsedExpert(healthy, 1);
        Trace degraded = new Trace();

        run(withDown(1, down, true), degraded);

        assertThat(degraded.routes).filteredOn(r -> r.startsWith("1/")).noneMatch(r -> r.matches(".*[\\[ ]" + down + "[,\\]].*"));
        long wanted = healthy.routes.stream().filter(r -> r.startsWith("1/")).filter(r -> r.matches(".*[\\[ ]" + down + "[,\\]].*")).count();
        assertThat(degraded.skips).hasSize((int) wanted).allMatch(s -> s.startsWith("1/") && s.endsWith("-" + down));
        assertThat(degraded.routes).filteredOn(r -> r.startsWith("0/")).containsExactlyElementsOf(
                healthy.routes.stream().filter(r -> r.startsWith("0/")).toList());
    }

    @Test
    void anExpertThatFailsDuringTheCallIsRoutedAroundLikeAnAnnouncedOne() {
        Trace healthy = new Trace();
        run(local, healthy);
        int down = mostUsedExpert(healthy, 0);

        float[] announced = run(withDown(0, down, true), new Trace());
        Trace discovered = new Trace();
        float[] failedDuringCall = run(withDown(0, down, false), discovered);

        assertThat(failedDuringCall).containsExactly(announced);
        assertThat(discovered.skips).isNotEmpty();
    }

    @Test
    void givesUpWhenTheSameExpertKeepsFailing() {
        ExpertDispatch broken = new ExpertDispatch() {
            @Override
            public void combine(int layer, float[] hidden, int tokens, GateDecision[] routes, float[] out) {
                throw new ExpertsUnavailableException(layer, Set.of(), null);
            }
        };

        assertThatThrownBy(() -> run(broken, new Trace())).isInstanceOf(ExpertsUnavailableException.class);
    }
}
