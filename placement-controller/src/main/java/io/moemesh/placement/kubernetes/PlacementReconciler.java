package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanFile;
import io.moemesh.core.placement.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the cluster toward a plan, level-based: it reads every expert Deployment and autoscaler as
 * they are now, whatever happened before, and writes only what differs — the pod template's
 * partner-units annotation (the Deployment then rolls its pods: new pods with the new units become
 * ready and are discovered by the routers before old ones go, maxUnavailable 0) and the
 * autoscaler's minReplicas (the plan's replica target). A Deployment deleted since the read is
 * skipped; a conflicting write is retried once on a fresh read, then left to the next round; any
 * other API failure ends this reconcile (the round reports it, the next one starts from a fresh
 * read). Each write is recorded as a Kubernetes Event; a dry run reports the changes and writes nothing.
 *
 * <p>The partner-units annotation is this controller's to write (the chart never renders it). One
 * that does not parse — edited by hand — is desired state not reached yet, like any other value
 * that differs from the plan: it is logged at WARN, recorded as a Warning Event
 * ({@value #UNREADABLE_REASON}, quoting the value and the parse error) and overwritten with the
 * plan's partner units; the other Deployments are reconciled as usual. Skipping it instead would
 * leave that expert's rollout stuck until a person edits it (its new pods cannot start with an
 * annotation they cannot read). A dry run logs it and lists the overwrite among its changes.
 */
public final class PlacementReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(PlacementReconciler.class);
    /** Reason of the Warning Event on a Deployment whose partner-units annotation does not parse. */
    static final String UNREADABLE_REASON = "PartnerUnitsUnreadable";
    /** Longest annotation value quoted in a log line or Event message. */
    private static final int QUOTE_LIMIT = 120;

    private final ClusterPort cluster;

    public PlacementReconciler(ClusterPort cluster) {
        this.cluster = cluster;
    }

    /** The changes made (or, with {@code dryRun}, that would be made) to reach {@code plan}. */
    public List<Change> reconcile(PlacementPlan plan, boolean dryRun) {
        List<Change> changes = new ArrayList<>();
        for (ExpertWorkload w : cluster.experts()) {
            if (w.service() < 0 || w.service() >= plan.hosted().size()) {
                LOG.warn("deployment {} serves expert {}, which the plan does not know; left alone", w.deployment(),
                        w.service());
                continue;
            }
            changes.addAll(reconcile(w, plan, dryRun, true));
        }
        return changes;
    }

    private List<Change> reconcile(ExpertWorkload w, PlacementPlan plan, boolean dryRun, boolean mayRetry) {
        List<Change> changes = new ArrayList<>();
        SortedSet<Unit> partners = partners(plan, w.service());
        int minReplicas = plan.replicas().get(w.service());
        if (w.unreadable() != null) {
            reportUnreadable(w, partners, dryRun, mayRetry);
            changes.add(new Change(w.deployment(), Change.Kind.PARTNER_UNITS,
                    "unreadable '" + quote(w.unreadable().value()) + "'", spell(partners)));
        } else if (!partners.equals(w.partners())) {
            changes.add(new Change(w.deployment(), Change.Kind.PARTNER_UNITS, spell(w.partners()), spell(partners)));
        }
        if (minReplicas != w.minReplicas()) {
            changes.add(new Change(w.deployment(), Change.Kind.MIN_REPLICAS, String.valueOf(w.minReplicas()),
                    String.valueOf(minReplicas)));
        }
        if (dryRun || changes.isEmpty()) {
            return changes;
        }
        try {
            for (Change c : changes) {
                if (c.kind() == Change.Kind.PARTNER_UNITS) {
                    cluster.setPartners(w, partners);
                    cluster.event(w, "PartnerUnitsChanged", "placement: partner units " + c.from() + " -> " + c.to());
                } else {
                    cluster.setMinReplicas(w, minReplicas);
                    cluster.event(w, "ReplicaTargetChanged", "placement: minReplicas " + c.from() + " -> " + c.to());
                }
            }
            return changes;
        } catch (ClusterPort.ConflictException e) {
            Optional<ExpertWorkload> fresh = mayRetry ? reread(w.deployment()) : Optional.empty();
            if (fresh.isEmpty()) {
                LOG.info("deployment {} changed or went away while being reconciled ({}); next round", w.deployment(),
                        e.getMessage());
                return List.of();
            }
            return reconcile(fresh.get(), plan, false, false);
        }
    }

    /** Once per Deployment and reconcile: a retry on a fresh read does not report it again. */
    private void reportUnreadable(ExpertWorkload w, SortedSet<Unit> partners, boolean dryRun, boolean firstRead) {
        if (!firstRead) {
            return;
        }
        String what = "annotation " + ExpertWorkload.PARTNER_UNITS_ANNOTATION + " is '" + quote(w.unreadable().value())
                + "' and cannot be read: " + quote(w.unreadable().problem());
        if (dryRun) {
            LOG.warn("deployment {}: {}; a run that is not dry replaces it with the plan's partner units {}",
                    w.deployment(), what, spell(partners));
            return;
        }
        LOG.warn("deployment {}: {}; replacing it with the plan's partner units {}", w.deployment(), what,
                spell(partners));
        cluster.warning(w, UNREADABLE_REASON, "placement: " + what + "; the controller replaces it with the plan's"
                + " partner units " + spell(partners));
    }

    private static String quote(String text) {
        return text.length() <= QUOTE_LIMIT ? text : text.substring(0, QUOTE_LIMIT) + "...";
    }

    private Optional<ExpertWorkload> reread(String deployment) {
        return cluster.experts().stream().filter(x -> x.deployment().equals(deployment)).findFirst();
    }

    /** The service's units other than its own expert of every layer. */
    static SortedSet<Unit> partners(PlacementPlan plan, int service) {
        SortedSet<Unit> partners = new TreeSet<>();
        for (Unit u : plan.hosted().get(service)) {
            if (u.expert() != service) {
                partners.add(u);
            }
        }
        return partners;
    }

    private static String spell(SortedSet<Unit> units) {
        return units.isEmpty() ? "(none)" : PlanFile.spell(units);
    }
}
