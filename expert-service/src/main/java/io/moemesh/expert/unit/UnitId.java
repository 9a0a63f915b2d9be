package io.moemesh.expert.unit;

import java.util.Comparator;

/** One expert of one MoE layer: the unit of placement and of compute. Orders by layer, then expert. */
public record UnitId(int layer, int expert) implements Comparable<UnitId> {

    private static final Comparator<UnitId> ORDER = Comparator.comparingInt(UnitId::layer)
            .thenComparingInt(UnitId::expert);

    public UnitId {
        if (layer < 0 || expert < 0) {
            throw new IllegalArgumentException("layer (" + layer + ") and expert (" + expert + ") must be >= 0");
        }
    }

    /**
     * Parses the placement controller's {@code EXPERT:LAYER} notation, e.g. {@code 7:1} is expert 7
     * of layer 1.
     */
    public static UnitId parse(String text) {
        String[] parts = text.strip().split(":", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not EXPERT:LAYER (e.g. 7:1 = expert 7 of layer 1)");
        }
        try {
            return new UnitId(Integer.parseInt(parts[1].strip()), Integer.parseInt(parts[0].strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not EXPERT:LAYER with two integers (e.g. 7:1)", e);
        }
    }

    @Override
    public int compareTo(UnitId other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return "expert " + expert + " layer " + layer;
    }
}
