package io.moemesh.expert.unit;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The weights of the units this endpoint hosts, memory-mapped from the model's checkpoint. Owns the
 * checkpoint: {@link #close()} unmaps it, so close only after every batch has finished.
 */
public final class HostedUnits implements AutoCloseable {

    private final String modelName;
    private final ModelConfig config;
    private final String weightDtype;
    private final SortedMap<UnitId, ExpertWeights> weights;
    private final SortedSet<UnitId> units;
    private final Checkpoint checkpoint;

    private HostedUnits(String modelName, ModelConfig config, String weightDtype,
            SortedMap<UnitId, ExpertWeights> weights, Checkpoint checkpoint) {
        this.modelName = modelName;
        this.config = config;
        this.weightDtype = weightDtype;
        this.weights = Collections.unmodifiableSortedMap(weights);
        this.units = Collections.unmodifiableSortedSet(new TreeSet<>(weights.keySet()));
        this.checkpoint = checkpoint;
    }

    /**
     * Reads the model's shape, maps its checkpoint and loads every placed unit, checking each
     * tensor's shape and dtype.
     *
     * @throws UnitLoadException naming the directory and what is wrong with it
     */
    public static HostedUnits load(Path modelDir, UnitPlacement placement) {
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new UnitLoadException("moemesh.expert.model-dir=" + modelDir
                    + " is not a directory; point it at a model folder with config.json and model.safetensors", null);
        }
        ModelConfig config;
        SortedSet<UnitId> units;
        try {
            config = ModelConfig.load(dir);
            units = placement.resolve(config);
        } catch (RuntimeException e) {
            throw new UnitLoadException("cannot host experts of " + dir + ": " + e.getMessage(), e);
        }
        Checkpoint checkpoint = openCheckpoint(dir);
        try {
            SortedMap<UnitId, ExpertWeights> loaded = new TreeMap<>();
            for (UnitId unit : units) {
                loaded.put(unit, ExpertWeights.load(checkpoint, config, unit.layer(), unit.expert()));
            }
            String dtype = checkpoint.info(loaded.firstEntry().getValue().w1().name()).dtypeName();
            return new HostedUnits(String.valueOf(dir.getFileName()), config, dtype, loaded, checkpoint);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw new UnitLoadException("cannot load expert weights from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Checkpoint openCheckpoint(Path dir) {
        try {
            return Checkpoint.open(dir);
        } catch (RuntimeException e) {
            throw new UnitLoadException("cannot open the checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The model's directory name, e.g. {@code tiny-random}. */
    public String modelName() {
        return modelName;
    }

    public ModelConfig config() {
        return config;
    }

    /** Weight dtype as the checkpoint stores it: "BF16", "F16" or "F32". */
    public String weightDtype() {
        return weightDtype;
    }

    public SortedSet<UnitId> units() {
        return units;
    }

    /** Weights of every hosted unit, sorted by layer then expert. */
    public Map<UnitId, ExpertWeights> weights() {
        return weights;
    }

    public boolean hosts(UnitId unit) {
        return weights.containsKey(unit);
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
