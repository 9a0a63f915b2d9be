package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.Unit;
import java.util.List;
import java.util.SortedSet;

/**
 * What the reconciler needs from Kubernetes; the adapter speaks the API, tests use a fake. The
 * Deployment write carries the resource version read, so a concurrent change (or a deletion) is a
 * {@link ConflictException}; the autoscaler write sets one field and the last writer wins.
 */
public interface ClusterPort {

    /** The expert Deployments of this release (label {@code moemesh.io/role=expert}), with their autoscalers. */
    List<ExpertWorkload> experts();

    /** Writes the partner-units annotation of the Deployment's pod template (a rolling update follows). */
    void setPartners(ExpertWorkload workload, SortedSet<Unit> partners);

    /**
     * Sets the autoscaler's minReplicas (or the Deployment's replicas when it has no autoscaler): the
     * field the chart leaves unrendered for the controller (it renders the floor as an annotation).
     */
    void setMinReplicas(ExpertWorkload workload, int minReplicas);

    /** The Deployment's rollout now (read afresh); {@link Rollout#DONE} when it is gone. */
    Rollout rollout(String deployment);

    /** Records a Kubernetes Event of type Normal on the Deployment: a change the controller made. */
    void event(ExpertWorkload workload, String reason, String message);

    /** Records a Kubernetes Event of type Warning on the Deployment: something a person should look at. */
    void warning(ExpertWorkload workload, String reason, String message);

    /** The object changed since it was read. */
    final class ConflictException extends RuntimeException {
        public ConflictException(String message) {
            super(message);
        }
    }
}
