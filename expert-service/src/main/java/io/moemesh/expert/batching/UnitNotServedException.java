package io.moemesh.expert.batching;

import io.moemesh.expert.unit.UnitId;

/** Work was submitted for a unit the batcher does not serve (never hosted, or released). */
public final class UnitNotServedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient UnitId unit;

    UnitNotServedException(UnitId unit) {
        super(unit + " is not served by this batcher", null, false, false);
        this.unit = unit;
    }

    public UnitId unit() {
        return unit;
    }
}
