package io.moemesh.core.model;

import io.moemesh.core.config.ModelConfig;

/**
 * The keys and values of one sequence, for every layer, sized once for the sequence's whole life
 * (prompt plus the tokens it may generate), so decoding never reallocates.
 */
public final class KvCache {

    private final float[][] keys;   // [layer][position * kvDim + kvHead * headDim + i]
    private final float[][] values;
    private final int capacity;
    private final int kvDim;

    public KvCache(ModelConfig config, int capacity) {
        if (capacity < 1 || capacity > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + capacity + " must be between 1 and the model's "
                    + "max_position_embeddings " + config.maxPositionEmbeddings());
        }
        this.capacity = capacity;
        this.kvDim = config.kvDim();
        // positions are indexed as position * kvDim in an int: the whole product must fit one
        long floats = (long) capacity * kvDim;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("sequence length " + capacity + " × KV dimension " + kvDim + " = "
                    + floats + " floats per layer is past the largest array Java can allocate");
        }
        this.keys = new float[config.numLayers()][(int) floats];
        this.values = new float[config.numLayers()][(int) floats];
    }

    public int capacity() {
        return capacity;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    void store(int layer, int position, float[] k, float[] v, int off) {
        if (position >= capacity) {
            throw new IllegalStateException("position " + position + " is past this sequence's KV capacity " + capacity);
        }
        System.arraycopy(k, off, keys[layer], position * kvDim, kvDim);
        System.arraycopy(v, off, values[layer], position * kvDim, kvDim);
    }
}
