package io.moemesh.core.placement;

/** One expert of one MoE layer; ordered by layer, then expert, so a service's units print and compare stably. */
public record Unit(int layer, int expert) implements Comparable<Unit> {

    @Override
    public int compareTo(Unit o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(expert, o.expert);
    }
}
