package io.moemesh.placement.kubernetes;

/**
 * Where an expert Deployment's rollout stands, read as {@code kubectl rollout status} reads it:
 * done once the Deployment controller has seen the latest spec (observedGeneration) and every
 * replica runs the latest pod template and is available, with no old pod left.
 */
public record Rollout(State state, String detail) {

    public enum State {
        /** Every replica runs the current template and is available (or the Deployment is gone). */
        AVAILABLE,
        /** Pods are still being replaced or becoming available. */
        PROGRESSING,
        /** The Deployment controller gave up (condition Progressing, reason ProgressDeadlineExceeded). */
        FAILED
    }

    public static final Rollout DONE = new Rollout(State.AVAILABLE, "available");

    public boolean available() {
        return state == State.AVAILABLE;
    }

    /**
     * The state from a Deployment's fields.
     *
     * @param generation         metadata.generation
     * @param observedGeneration status.observedGeneration (null before the controller saw it)
     * @param wanted             spec.replicas
     * @param replicas           status.replicas: pods of every template
     * @param updated            status.updatedReplicas: pods of the current template
     * @param available          status.availableReplicas
     * @param deadlineExceeded   condition Progressing has reason ProgressDeadlineExceeded
     */
    public static Rollout of(long generation, Long observedGeneration, int wanted, int replicas, int updated,
            int available, boolean deadlineExceeded) {
        if (deadlineExceeded) {
            return new Rollout(State.FAILED, "progress deadline exceeded (" + updated + " of " + wanted
                    + " replicas updated, " + available + " available)");
        }
        if (observedGeneration == null || observedGeneration < generation) {
            return new Rollout(State.PROGRESSING, "the Deployment controller has not seen generation " + generation);
        }
        if (updated < wanted) {
            return new Rollout(State.PROGRESSING, updated + " of " + wanted + " replicas updated");
        }
        if (replicas > updated) {
            return new Rollout(State.PROGRESSING, (replicas - updated) + " old replicas pending termination");
        }
        if (available < updated) {
            return new Rollout(State.PROGRESSING, available + " of " + updated + " updated replicas available");
        }
        return DONE;
    }
}
