package io.moemesh.expert.unit;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.safetensors.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The units this endpoint hosts and their weights, memory-mapped from the model's checkpoint. Which
 * units those are changes at run time (make-before-break re-placement): readers get an immutable
 * {@link UnitRoster}, and a change publishes a new one, so a Compute call sees one consistent set
 * without locking. Owns the checkpoint: {@link #close()} unmaps it, so close only after every batch
 * has finished.
 */
public final class HostedUnits implements AutoCloseable {

    private final Path dir;
    private final ModelConfig config;
    private final String weightDtype;
    private final OptionalInt service;
    private final Checkpoint checkpoint;
    private volatile UnitRoster roster;

    private HostedUnits(Path dir, ModelConfig config, String weightDtype, OptionalInt service, UnitRoster roster,
            Checkpoint checkpoint) {
        this.dir = dir;
        this.config = config;
        this.weightDtype = weightDtype;
        this.service = service;
        this.roster = roster;
        this.checkpoint = checkpoint;
    }

    /**
     * Reads the model's shape, maps its checkpoint and loads every placed unit, checking each
     * tensor's shape and dtype. The configured experts are the base units; the extra units that are
     * not base units are the first partner units.
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
        SortedSet<UnitId> base;
        SortedSet<UnitId> partners;
        try {
            config = ModelConfig.load(dir);
            base = placement.baseUnits(config);
            partners = placement.partnerUnits(config);
        } catch (RuntimeException e) {
            throw new UnitLoadException("cannot host experts of " + dir + ": " + e.getMessage(), e);
        }
        Checkpoint checkpoint = openCheckpoint(dir);
        try {
            SortedMap<UnitId, ExpertWeights> loaded = loadFrom(checkpoint, config, base);
            loaded.putAll(loadFrom(checkpoint, config, partners));
            String dtype = checkpoint.info(loaded.firstEntry().getValue().w1().name()).dtypeName();
            OptionalInt service = placement.experts().size() == 1
                    ? OptionalInt.of(placement.experts().getFirst()) : OptionalInt.empty();
            return new HostedUnits(dir, config, dtype, service,
                    new UnitRoster(base, partners, Collections.emptySortedSet(), loaded), checkpoint);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw new UnitLoadException("cannot load expert weights from " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads the weights of units to be hosted later, from the checkpoint mapped at start-up. The
     * caller checks that the units are in the model.
     *
     * @throws UnitLoadException naming the directory and what is wrong
     */
    public SortedMap<UnitId, ExpertWeights> loadWeights(Collection<UnitId> units) {
        try {
            return loadFrom(checkpoint, config, units);
        } catch (RuntimeException e) {
            throw new UnitLoadException("cannot load expert weights from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static SortedMap<UnitId, ExpertWeights> loadFrom(Checkpoint checkpoint, ModelConfig config,
            Collection<UnitId> units) {
        SortedMap<UnitId, ExpertWeights> loaded = new TreeMap<>();
        for (UnitId unit : units) {
            loaded.put(unit, ExpertWeights.load(checkpoint, config, unit.layer(), unit.expert()));
        }
        return loaded;
    }

    /**
     * Publishes the roster with exactly {@code partners} as partner units (see
     * {@link UnitRoster#withPartners}); Compute serves them from now on.
     */
    public synchronized UnitRoster setPartners(SortedSet<UnitId> partners, Map<UnitId, ExpertWeights> loaded) {
        roster = roster.withPartners(partners, loaded);
        return roster;
    }

    /** Publishes the roster without the retiring units; Compute no longer serves them. */
    public synchronized UnitRoster releaseRetiring() {
        roster = roster.withoutRetiring();
        return roster;
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
        return String.valueOf(dir.getFileName());
    }

    public ModelConfig config() {
        return config;
    }

    /** Weight dtype as the checkpoint stores it: "BF16", "F16" or "F32". */
    public String weightDtype() {
        return weightDtype;
    }

    /** The one base expert when exactly one was configured: the expert service this endpoint belongs to. */
    public OptionalInt service() {
        return service;
    }

    /** The units hosted now, in one consistent snapshot. */
    public UnitRoster roster() {
        return roster;
    }

    /** Base and partner units now (not retiring ones), sorted by layer then expert. */
    public SortedSet<UnitId> units() {
        return roster.units();
    }

    /** Weights of every unit Compute serves now (retiring ones included), sorted by layer then expert. */
    public Map<UnitId, ExpertWeights> weights() {
        return roster.weights();
    }

    /** Whether Compute serves {@code unit} now: base, partner or retiring. */
    public boolean hosts(UnitId unit) {
        return roster.serves(unit);
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
