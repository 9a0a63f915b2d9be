package io.moemesh.placement.kubernetes;

import io.moemesh.core.placement.Unit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** Expert Deployments and autoscalers in memory, with resource versions, as the API server keeps them. */
final class FakeCluster implements ClusterPort {

    final Map<String, ExpertWorkload> workloads = new LinkedHashMap<>();
    final List<String> events = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    final List<String> writes = new ArrayList<>();
    /** Deployments whose next write conflicts (someone else changed them first). */
    final List<String> conflictOnce = new ArrayList<>();
    /** Deployments whose rollout never becomes available after a partner write (no GPU for the new pod). */
    final List<String> stuck = new ArrayList<>();
    /** Rollout reads, in order, as "rollout? NAME". Writes and reads also go to {@link #log}, in order. */
    final List<String> log = new ArrayList<>();
    private final Map<String, Rollout> rollouts = new LinkedHashMap<>();
    private long version = 100;

    FakeCluster(int experts) {
        for (int e = 0; e < experts; e++) {
            put(new ExpertWorkload("moe-mesh-expert-" + e, e, new TreeSet<>(), "moe-mesh-expert-" + e, 1, "1"));
        }
    }

    void put(ExpertWorkload w) {
        workloads.put(w.deployment(), new ExpertWorkload(w.deployment(), w.service(), w.partners(), w.hpa(),
                w.replicas(), String.valueOf(version++), w.unreadable(), w.rollout()));
    }

    /** A Deployment with an operator floor and an autoscaler ceiling. */
    void bounds(String deployment, int floor, int max) {
        ExpertWorkload w = workloads.get(deployment);
        put(new ExpertWorkload(w.deployment(), w.service(), w.partners(), w.hpa(),
                new Replicas(w.minReplicas(), floor, max), "", w.unreadable(), w.rollout()));
    }

    /** A Deployment still rolling from before (a helm upgrade, an earlier round). */
    void rolling(String deployment) {
        ExpertWorkload w = workloads.get(deployment);
        Rollout progressing = new Rollout(Rollout.State.PROGRESSING, "0 of 1 replicas updated");
        rollouts.put(deployment, progressing);
        put(new ExpertWorkload(w.deployment(), w.service(), w.partners(), w.hpa(), w.replicas(), "", w.unreadable(),
                progressing));
    }

    /** The Deployment controller finished the rollout. */
    void finish(String deployment) {
        rollouts.remove(deployment);
        stuck.remove(deployment);
    }

    @Override
    public Rollout rollout(String deployment) {
        log.add("rollout? " + deployment);
        if (stuck.contains(deployment)) {
            return new Rollout(Rollout.State.PROGRESSING, "0 of 1 updated replicas available");
        }
        return rollouts.getOrDefault(deployment, Rollout.DONE);
    }

    @Override
    public List<ExpertWorkload> experts() {
        return List.copyOf(workloads.values());
    }

    @Override
    public void setPartners(ExpertWorkload w, SortedSet<Unit> partners) {
        ExpertWorkload now = current(w);
        writes.add(w.deployment() + " partners " + partners);
        log.add("write " + w.deployment());
        put(new ExpertWorkload(now.deployment(), now.service(), partners, now.hpa(), now.replicas(), "", null,
                now.rollout()));
    }

    @Override
    public void setMinReplicas(ExpertWorkload w, int minReplicas) {
        ExpertWorkload now = workloads.get(w.deployment()); // the autoscaler: one field, last writer wins
        writes.add(w.deployment() + " minReplicas " + minReplicas);
        workloads.put(w.deployment(), now.withMinReplicas(minReplicas));
    }

    @Override
    public void event(ExpertWorkload w, String reason, String message) {
        events.add(w.deployment() + " " + reason + ": " + message);
    }

    @Override
    public void warning(ExpertWorkload w, String reason, String message) {
        warnings.add(w.deployment() + " " + reason + ": " + message);
    }

    private ExpertWorkload current(ExpertWorkload read) {
        if (conflictOnce.remove(read.deployment())) {
            put(workloads.get(read.deployment())); // someone else's write: a new resource version
        }
        ExpertWorkload now = workloads.get(read.deployment());
        if (now == null || !now.resourceVersion().equals(read.resourceVersion())) {
            throw new ConflictException(read.deployment() + " changed since it was read");
        }
        return now;
    }
}
