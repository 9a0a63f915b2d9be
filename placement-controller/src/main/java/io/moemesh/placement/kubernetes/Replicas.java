package io.moemesh.placement.kubernetes;

/**
 * An expert's replica count as the controller may set it: the value now (the autoscaler's
 * minReplicas, or the Deployment's replicas without one), the operator's floor (the
 * {@value #FLOOR_ANNOTATION} annotation the chart renders from {@code experts.autoscaling.minReplicas}
 * or {@code experts.replicas}), and the autoscaler's maxReplicas ({@link #UNBOUNDED} without one).
 *
 * <p>The chart renders the floor into an annotation instead of the field itself so that the field
 * is the controller's alone: a {@code helm upgrade} (three-way merge) or an Argo CD sync re-applies
 * what the chart renders and leaves fields it does not render to their other managers
 * (docs/kubernetes.md, "GitOps and the controller").
 */
public record Replicas(int current, int floor, int max) {

    /** Annotation on the HPA (or the Deployment without one) holding the operator's replica floor. */
    public static final String FLOOR_ANNOTATION = "moemesh.io/replica-floor";
    /** No autoscaler, so no ceiling but the controller's own {@code max-replicas}. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    public Replicas {
        if (current < 0 || floor < 1 || max < 1) {
            throw new IllegalArgumentException("replicas " + current + ", floor " + floor + " and max " + max
                    + " must be >= 0, >= 1 and >= 1");
        }
    }

    /** A count with no floor above 1 and no ceiling: what an object without the annotation or an HPA has. */
    public static Replicas of(int current) {
        return new Replicas(current, 1, UNBOUNDED);
    }

    /**
     * What the controller writes for {@code planned}: never below the floor, never above the
     * autoscaler's maxReplicas (the API server refuses minReplicas above it). A floor above the max
     * (an operator's mistake the chart refuses to render) yields the max. A Deployment without an
     * autoscaler at zero replicas was turned off by an operator and stays at zero.
     */
    public int target(int planned) {
        if (current == 0 && max == UNBOUNDED) {
            return 0; // a Deployment an operator scaled to zero (experts.replicas 0) stays off
        }
        return Math.min(Math.max(planned, floor), max);
    }

    /** Why {@code target(value)} differs from {@code value} ("above maxReplicas 4"), or "" when it does not. */
    public String reason(int value) {
        if (value > max) {
            return "above maxReplicas " + max;
        }
        if (value < floor) {
            return "below the floor " + floor;
        }
        return "";
    }
}
