package io.moemesh.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.TestModels;
import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.kernel.Kernels;
import io.moemesh.core.safetensors.Checkpoint;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LocalExpertsTest {

    @Test
    void groupsTokensPerExpertInTokenOrder() {
        GateDecision[] routes = {
                new GateDecision(new int[] {2, 0}, new float[] {0.6f, 0.4f}),
                new GateDecision(new int[] {0, 1}, new float[] {0.5f, 0.5f}),
                new GateDecision(new int[] {2, 1}, new float[] {0.9f, 0.1f})};

        int[][] groups = LocalExperts.groupByExpert(routes, 3, 4);

        assertThat(groups[0]).containsExactly(0, 1);
        assertThat(groups[1]).containsExactly(1, 2);
        assertThat(groups[2]).containsExactly(0, 2);
        assertThat(groups[3]).isEmpty();
    }

    /** The batched, grouped path against the definition: per token, Σ weight · FFN(x), one expert at a time. */
    @Test
    void batchedCombineEqualsTheWeightedSumComputedTokenByToken() {
        ModelConfig config = ModelConfig.load(TestModels.tinyRandom());
        try (Checkpoint checkpoint = Checkpoint.open(TestModels.tinyRandom())) {
            Kernels kernels = Kernels.best();
            LocalExperts experts = LocalExperts.load(checkpoint, config, kernels);
            int h = config.hiddenSize();
            int tokens = 7;
            Random random = new Random(5);
            float[] x = new float[tokens * h];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            GateDecision[] routes = new GateDecision[tokens];
            for (int t = 0; t < tokens; t++) {
                int a = random.nextInt(config.numExperts());
                int b = (a + 1 + random.nextInt(config.numExperts() - 1)) % config.numExperts();
                float w = 0.5f + 0.5f * random.nextFloat();
                routes[t] = new GateDecision(new int[] {a, b}, new float[] {w, 1 - w});
            }

            float[] out = new float[tokens * h];
            experts.combine(1, x, tokens, routes, out);

            ExpertFfn ffn = new ExpertFfn(Kernels.scalar());
            ExpertFfn.Scratch scratch = ExpertFfn.Scratch.forTokens(1, config.intermediateSize());
            float[] single = new float[h];
            float[] oneOut = new float[h];
            for (int t = 0; t < tokens; t++) {
                float[] expected = new float[h];
                System.arraycopy(x, t * h, single, 0, h);
                for (int j = 0; j < 2; j++) {
                    ffn.forward(ExpertWeights.load(checkpoint, config, 1, routes[t].experts()[j]), single, 1, scratch, oneOut);
                    for (int i = 0; i < h; i++) {
                        expected[i] += routes[t].weights()[j] * oneOut[i];
                    }
                }
                for (int i = 0; i < h; i++) {
                    assertThat(out[t * h + i]).as("token %d dim %d", t, i).isCloseTo(expected[i], within(1e-4f));
                }
            }
        }
    }
}
