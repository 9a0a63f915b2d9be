package io.moemesh.bench;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.DenseWeights;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.tensor.DType;
import io.moemesh.core.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/** Random BF16 weights of a given shape, so benchmarks need no checkpoint on disk. Fixed seed. */
final class SyntheticModel {

    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SplittableRandom random = new SplittableRandom(42);
    private final Arena arena = Arena.ofAuto();

    /** The planned default model: 4 layers, hidden 192, 16 experts of 384, top-2. */
    static ModelConfig defaultShape(int hidden, int intermediate) {
        return new ModelConfig(hidden, intermediate, 4, 6, 2, hidden / 6, 16, 2, 1e-5f, 10_000.0, 512, 512, false,
                OptionalInt.empty(), OptionalInt.empty());
    }

    WeightMatrix matrix(String name, int rows, int cols) {
        MemorySegment data = arena.allocate((long) rows * cols * 2, 64);
        float scale = (float) (1.0 / Math.sqrt(cols));
        for (long i = 0; i < (long) rows * cols; i++) {
            float value = (float) (random.nextDouble(-1, 1) * scale);
            data.setAtIndex(BF16, i, (short) (Float.floatToRawIntBits(value) >>> 16));
        }
        return new WeightMatrix(name, DType.BF16, rows, cols, data);
    }

    float[] vector(int size) {
        float[] v = new float[size];
        Arrays.fill(v, 1f);
        return v;
    }

    float[] activations(int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    ExpertWeights expert(int layer, int expert, int hidden, int intermediate) {
        return new ExpertWeights(layer, expert, matrix("w1", intermediate, hidden), matrix("w2", hidden, intermediate),
                matrix("w3", intermediate, hidden));
    }

    DenseWeights dense(ModelConfig c) {
        List<DenseWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            DenseWeights.Attention attention = new DenseWeights.Attention(
                    matrix("q", c.queryDim(), c.hiddenSize()), matrix("k", c.kvDim(), c.hiddenSize()),
                    matrix("v", c.kvDim(), c.hiddenSize()), matrix("o", c.hiddenSize(), c.queryDim()),
                    null, null, null, null, null, null);
            layers.add(new DenseWeights.Layer(vector(c.hiddenSize()), attention, vector(c.hiddenSize()),
                    new DenseWeights.Sparse(matrix("gate", c.numExperts(), c.hiddenSize()), null, null)));
        }
        return new DenseWeights(matrix("embed", c.vocabSize(), c.hiddenSize()), layers, vector(c.hiddenSize()),
                matrix("lm_head", c.vocabSize(), c.hiddenSize()));
    }

    ExpertWeights[][] experts(ModelConfig c) {
        ExpertWeights[][] units = new ExpertWeights[c.numMoeLayers()][c.numExperts()];
        for (int l = 0; l < c.numMoeLayers(); l++) {
            for (int e = 0; e < c.numExperts(); e++) {
                units[l][e] = expert(l, e, c.hiddenSize(), c.intermediateSize());
            }
        }
        return units;
    }
}
