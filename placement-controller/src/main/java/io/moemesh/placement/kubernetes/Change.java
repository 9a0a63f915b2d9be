package io.moemesh.placement.kubernetes;

import java.util.Locale;

/**
 * One write the reconciler made, or would make in a dry run; or ({@link Kind#ROLLOUT_WAIT}) the
 * writes it held back because a Deployment's rollout did not become available in time.
 */
public record Change(String deployment, Kind kind, String from, String to) {

    public enum Kind {
        PARTNER_UNITS,
        MIN_REPLICAS,
        ROLLOUT_WAIT
    }

    @Override
    public String toString() {
        return deployment + " " + kind.name().toLowerCase(Locale.ROOT).replace('_', '-') + ": "
                + from + " -> " + to;
    }
}
