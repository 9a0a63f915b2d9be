package io.moemesh.core.placement;

/**
 * Hysteresis for re-planning: moving units costs a rollout (new pods up before old ones go), so a
 * candidate plan replaces the live one only when it cuts expected remote calls by a clear margin,
 * not when window-to-window noise reshuffles a near-tie.
 */
public final class PlanChange {

    private PlanChange() {
    }

    /**
     * True when the candidate cuts expected remote calls per token by at least
     * {@code minRelativeGain} (e.g. 0.05 = 5%) of the current plan's, both scored on the same stats.
     */
    public static boolean shouldApply(PlanScore current, PlanScore candidate, double minRelativeGain) {
        if (!(minRelativeGain >= 0)) {
            throw new IllegalArgumentException("relative gain threshold must be >= 0, got " + minRelativeGain);
        }
        double now = current.remoteCallsPerToken();
        if (now <= 0) {
            return false;
        }
        double gain = (now - candidate.remoteCallsPerToken()) / now;
        return gain > 0 && gain >= minRelativeGain;
    }
}
