package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.Unit;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One expert service as the cluster runs it: its Deployment (whose pod template carries the
 * service's partner units in the {@value #PARTNER_UNITS_ANNOTATION} annotation, which the expert
 * container reads through the downward API), its HorizontalPodAutoscaler's replica floor, and how
 * far its latest rollout got.
 *
 * @param partners     the annotation's units; empty when it is absent or {@code unreadable}
 * @param hpa          the autoscaler's name, or null when the service has none
 * @param replicas     the autoscaler's minReplicas (or the Deployment's replicas without one), with
 *                     the operator's floor and the autoscaler's maxReplicas
 * @param unreadable   the annotation when it is not {@code EXPERT:LAYER,...} (someone edited it by
 *                     hand), or null when it was read
 * @param rollout      the Deployment's rollout as listed
 */
public record ExpertWorkload(String deployment, int service, SortedSet<Unit> partners, String hpa, Replicas replicas,
        String resourceVersion, UnreadableAnnotation unreadable, Rollout rollout) {

    /** Pod template annotation holding the partner units, spelled {@code EXPERT:LAYER,...} (PlanFile.spell). */
    public static final String PARTNER_UNITS_ANNOTATION = "moemesh.io/partner-units";
    /** Label naming the expert a Deployment serves. */
    public static final String EXPERT_LABEL = "moemesh.io/expert";

    /** An annotation value that does not parse, and why, in the parser's words. */
    public record UnreadableAnnotation(String value, String problem) {
    }

    public ExpertWorkload {
        partners = new TreeSet<>(partners);
        rollout = rollout == null ? Rollout.DONE : rollout;
        if (unreadable != null && !partners.isEmpty()) {
            throw new IllegalArgumentException("an unreadable annotation has no partners, got " + partners);
        }
    }

    /** A rolled-out workload with no floor or ceiling on its replicas. */
    public ExpertWorkload(String deployment, int service, SortedSet<Unit> partners, String hpa, int minReplicas,
            String resourceVersion, UnreadableAnnotation unreadable) {
        this(deployment, service, partners, hpa, Replicas.of(minReplicas), resourceVersion, unreadable, Rollout.DONE);
    }

    /** A rolled-out workload whose annotation was read (or is absent), with no floor or ceiling. */
    public ExpertWorkload(String deployment, int service, SortedSet<Unit> partners, String hpa, int minReplicas,
            String resourceVersion) {
        this(deployment, service, partners, hpa, minReplicas, resourceVersion, null);
    }

    /** The autoscaler's minReplicas, or the Deployment's replicas without one. */
    public int minReplicas() {
        return replicas.current();
    }

    /** This workload with another replica count now, floor and ceiling kept. */
    public ExpertWorkload withMinReplicas(int minReplicas) {
        return new ExpertWorkload(deployment, service, partners, hpa,
                new Replicas(minReplicas, replicas.floor(), replicas.max()), resourceVersion, unreadable, rollout);
    }
}
