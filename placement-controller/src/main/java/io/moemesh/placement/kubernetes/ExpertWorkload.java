package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.Unit;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One expert service as the cluster runs it: its Deployment (whose pod template carries the
 * service's partner units in the {@value #PARTNER_UNITS_ANNOTATION} annotation, which the expert
 * container reads through the downward API), and its HorizontalPodAutoscaler's replica floor.
 *
 * @param partners     the annotation's units; empty when it is absent or {@code unreadable}
 * @param hpa          the autoscaler's name, or null when the service has none
 * @param minReplicas  the autoscaler's minReplicas (or the Deployment's replicas without one)
 * @param unreadable   the annotation when it is not {@code EXPERT:LAYER,...} (someone edited it by
 *                     hand), or null when it was read
 */
public record ExpertWorkload(String deployment, int service, SortedSet<Unit> partners, String hpa, int minReplicas,
        String resourceVersion, UnreadableAnnotation unreadable) {

    /** Pod template annotation holding the partner units, spelled {@code EXPERT:LAYER,...} (PlanFile.spell). */
    public static final String PARTNER_UNITS_ANNOTATION = "moemesh.io/partner-units";
    /** Label naming the expert a Deployment serves. */
    public static final String EXPERT_LABEL = "moemesh.io/expert";

    /** An annotation value that does not parse, and why, in the parser's words. */
    public record UnreadableAnnotation(String value, String problem) {
    }

    public ExpertWorkload {
        partners = new TreeSet<>(partners);
        if (unreadable != null && !partners.isEmpty()) {
            throw new IllegalArgumentException("an unreadable annotation has no partners, got " + partners);
        }
    }

    /** A workload whose annotation was read (or is absent). */
    public ExpertWorkload(String deployment, int service, SortedSet<Unit> partners, String hpa, int minReplicas,
            String resourceVersion) {
        this(deployment, service, partners, hpa, minReplicas, resourceVersion, null);
    }
}
