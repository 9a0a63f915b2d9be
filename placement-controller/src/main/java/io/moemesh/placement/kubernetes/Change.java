package io.moemesh.placement.kubernetes;

/** One write the reconciler made, or would make in a dry run. */
public record Change(String deployment, Kind kind, String from, String to) {

    public enum Kind {
        PARTNER_UNITS,
        MIN_REPLICAS
    }

    @Override
    public String toString() {
        return deployment + " " + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ": "
                + from + " -> " + to;
    }
}
