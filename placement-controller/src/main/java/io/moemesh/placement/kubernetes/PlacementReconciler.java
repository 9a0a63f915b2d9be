package io.moemesh.placement.kubernetes;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * they are now, whatever happened before, and writes only what differs, in two passes.
 *
 * <ol>
 *   <li>Replica targets, all at once (they roll no pod): the autoscaler's minReplicas (or the
 *       Deployment's replicas without one) becomes the plan's count, never below the operator's
 *       floor and never above the autoscaler's maxReplicas ({@link Replicas}); a clamp to the max
 *       is logged at WARN and recorded as a Warning Event ({@value #CLAMPED_REASON}).</li>
 *   <li>Partner units, one Deployment at a time: the pod template's partner-units annotation
 *       changes and the Deployment rolls its pods; the next Deployment is written only once that
 *       one is available again ({@link RolloutGate}), and none while an expert Deployment is still
 *       rolling from before. A rollout that fails or outlasts the gate's timeout stops this pass:
 *       the Deployments left are listed in one {@link Change.Kind#ROLLOUT_WAIT} change, logged at
 *       WARN, recorded as a Warning Event ({@value #STALLED_REASON}) and left to a later round.</li>
 * </ol>
 *
 * A Deployment deleted since the read is skipped; a conflicting write is retried once on a fresh
 * read, then left to the next round; any other API failure ends this reconcile (the round reports
 * it, the next one starts from a fresh read). Each write is recorded as a Kubernetes Event; a dry
 * run reports the changes and writes (and waits for) nothing. {@link #keepBounds()} holds floors
 * and ceilings every round, whether or not a plan is applied.
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
    /** Reason of the Warning Event when a replica target is cut to the autoscaler's maxReplicas. */
    static final String CLAMPED_REASON = "ReplicaTargetClamped";
    /** Reason of the Warning Event on a Deployment whose rollout held the others back. */
    static final String STALLED_REASON = "RolloutNotAvailable";
    /** Longest annotation value quoted in a log line or Event message. */
    private static final int QUOTE_LIMIT = 120;

    private final ClusterPort cluster;
    private final RolloutGate gate;
    private final Counter clamped;
    private final Counter stalled;

    /** Rolls one Deployment at a time with the gate's defaults (10 minutes each, read every 5 s). */
    public PlacementReconciler(ClusterPort cluster) {
        this(cluster, RolloutGate.sleeping(cluster, RolloutGate.DEFAULTS));
    }

    public PlacementReconciler(ClusterPort cluster, RolloutGate gate) {
        this(cluster, gate, new SimpleMeterRegistry());
    }

    /** Counts clamped replica targets and stalled rollouts in {@code registry}. */
    public PlacementReconciler(ClusterPort cluster, RolloutGate gate, MeterRegistry registry) {
        this.cluster = cluster;
        this.gate = gate;
        this.clamped = Counter.builder("moemesh.placement.replica.targets.clamped")
                .description("Replica targets cut to an expert autoscaler's maxReplicas").register(registry);
        this.stalled = Counter.builder("moemesh.placement.rollouts.stalled")
                .description("Expert rollouts that failed or outlasted the rollout timeout, holding the others back")
                .register(registry);
    }

    /** The changes made (or, with {@code dryRun}, that would be made) to reach {@code plan}. */
    public List<Change> reconcile(PlacementPlan plan, boolean dryRun) {
        List<ExpertWorkload> workloads = new ArrayList<>();
        for (ExpertWorkload w : cluster.experts()) {
            if (w.service() < 0 || w.service() >= plan.hosted().size()) {
                LOG.warn("deployment {} serves expert {}, which the plan does not know; left alone", w.deployment(),
                        w.service());
            } else {
                workloads.add(w);
            }
        }
        List<Change> changes = new ArrayList<>();
        for (ExpertWorkload w : workloads) {
            replicas(w, plan.replicas().get(w.service()), "plan", dryRun).ifPresent(changes::add);
        }
        changes.addAll(partners(workloads, plan, dryRun));
        return changes;
    }

    /**
     * Raises every replica count below its operator's floor and lowers every one above its
     * autoscaler's maxReplicas, plan or not: after an install (the chart leaves the field to the
     * controller) or an upgrade that moved a floor, the floor holds from the next round on.
     * Failures are logged; the round goes on.
     */
    public List<Change> keepBounds() {
        List<Change> changes = new ArrayList<>();
        try {
            for (ExpertWorkload w : cluster.experts()) {
                replicas(w, w.minReplicas(), "now", false).ifPresent(changes::add);
            }
        } catch (RuntimeException e) {
            LOG.warn("could not hold the expert replica floors: {}", e.getMessage());
        }
        return changes;
    }

    private Optional<Change> replicas(ExpertWorkload w, int wanted, String source, boolean dryRun) {
        int target = w.replicas().target(wanted);
        if (target == w.minReplicas()) {
            return Optional.empty();
        }
        String why = w.replicas().reason(wanted);
        Change change = new Change(w.deployment(), Change.Kind.MIN_REPLICAS, String.valueOf(w.minReplicas()),
                target + (why.isEmpty() ? "" : " (" + source + " " + wanted + " " + why + ")"));
        if (dryRun) {
            return Optional.of(change);
        }
        try {
            cluster.setMinReplicas(w, target);
        } catch (ClusterPort.ConflictException e) {
            LOG.info("{} went away while being reconciled ({}); next round", w.deployment(), e.getMessage());
            return Optional.empty();
        }
        cluster.event(w, "ReplicaTargetChanged", "placement: minReplicas " + change.from() + " -> " + change.to());
        if (wanted > w.replicas().max()) {
            clamped.increment();
            LOG.warn("{}: replica target {} {}; set to {}", w.deployment(), wanted, why, target);
            cluster.warning(w, CLAMPED_REASON, "placement: replica target " + wanted + " " + why + "; set to "
                    + target + " (raise the autoscaler's maxReplicas to let the plan have its way)");
        }
        return Optional.of(change);
    }

    /** Pass 2: one Deployment at a time, each written only once the one before is available. */
    private List<Change> partners(List<ExpertWorkload> workloads, PlacementPlan plan, boolean dryRun) {
        List<Change> changes = new ArrayList<>();
        List<ExpertWorkload> pending = new ArrayList<>();
        for (ExpertWorkload w : workloads) {
            partnerChange(w, plan, dryRun, true).ifPresent(c -> {
                changes.add(c);
                pending.add(w);
            });
        }
        if (dryRun || pending.isEmpty()) {
            return changes;
        }
        changes.clear();
        String rolling = workloads.stream().filter(w -> !w.rollout().available()).map(ExpertWorkload::deployment)
                .findFirst().orElse(null);
        for (int i = 0; i < pending.size(); i++) {
            if (rolling != null) {
                Optional<String> stalled = gate.await(rolling);
                if (stalled.isPresent()) {
                    changes.add(held(rolling, stalled.get(), pending.subList(i, pending.size())));
                    return changes;
                }
            }
            Optional<Change> written = writePartners(pending.get(i), plan);
            written.ifPresent(changes::add);
            rolling = written.isPresent() ? pending.get(i).deployment() : null;
        }
        return changes;
    }

    private Change held(String rolling, String why, List<ExpertWorkload> left) {
        String names = String.join(", ", left.stream().map(ExpertWorkload::deployment).toList());
        stalled.increment();
        LOG.warn("{}; partner units of {} Deployments left for a later round: {}", why, left.size(), names);
        cluster.experts().stream().filter(x -> x.deployment().equals(rolling)).findFirst().ifPresent(x ->
                cluster.warning(x, STALLED_REASON, "placement: " + why + "; the controller rolls one expert at a time"
                        + " and holds the partner units of " + left.size() + " Deployments back: " + names));
        return new Change(rolling, Change.Kind.ROLLOUT_WAIT, "rolling", why + "; held back: " + names);
    }

    private Optional<Change> partnerChange(ExpertWorkload w, PlacementPlan plan, boolean dryRun, boolean firstRead) {
        SortedSet<Unit> partners = partners(plan, w.service());
        if (w.unreadable() != null) {
            reportUnreadable(w, partners, dryRun, firstRead);
            return Optional.of(new Change(w.deployment(), Change.Kind.PARTNER_UNITS,
                    "unreadable '" + quote(w.unreadable().value()) + "'", spell(partners)));
        }
        return partners.equals(w.partners()) ? Optional.empty()
                : Optional.of(new Change(w.deployment(), Change.Kind.PARTNER_UNITS, spell(w.partners()),
                        spell(partners)));
    }

    /** Writes one Deployment's partner units, retried once on a fresh read when it changed meanwhile. */
    private Optional<Change> writePartners(ExpertWorkload read, PlacementPlan plan) {
        ExpertWorkload w = read;
        for (int attempt = 0; ; attempt++) {
            Optional<Change> change = partnerChange(w, plan, false, false);
            if (change.isEmpty()) {
                return change;
            }
            try {
                cluster.setPartners(w, partners(plan, w.service()));
                cluster.event(w, "PartnerUnitsChanged", "placement: partner units " + change.get().from() + " -> "
                        + change.get().to());
                return change;
            } catch (ClusterPort.ConflictException e) {
                Optional<ExpertWorkload> fresh = attempt == 0 ? reread(w.deployment()) : Optional.empty();
                if (fresh.isEmpty()) {
                    LOG.info("deployment {} changed or went away while being reconciled ({}); next round",
                            w.deployment(), e.getMessage());
                    return Optional.empty();
                }
                w = fresh.get();
            }
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
