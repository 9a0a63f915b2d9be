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
    private long version = 100;

    FakeCluster(int experts) {
        for (int e = 0; e < experts; e++) {
            put(new ExpertWorkload("moe-mesh-expert-" + e, e, new TreeSet<>(), "moe-mesh-expert-" + e, 1, "1"));
        }
    }

    void put(ExpertWorkload w) {
        workloads.put(w.deployment(), new ExpertWorkload(w.deployment(), w.service(), w.partners(), w.hpa(),
                w.minReplicas(), String.valueOf(version++), w.unreadable()));
    }

    @Override
    public List<ExpertWorkload> experts() {
        return List.copyOf(workloads.values());
    }

    @Override
    public void setPartners(ExpertWorkload w, SortedSet<Unit> partners) {
        ExpertWorkload now = current(w);
        writes.add(w.deployment() + " partners " + partners);
        put(new ExpertWorkload(now.deployment(), now.service(), partners, now.hpa(), now.minReplicas(), ""));
    }

    @Override
    public void setMinReplicas(ExpertWorkload w, int minReplicas) {
        ExpertWorkload now = workloads.get(w.deployment()); // the autoscaler: one field, last writer wins
        writes.add(w.deployment() + " minReplicas " + minReplicas);
        workloads.put(w.deployment(), new ExpertWorkload(now.deployment(), now.service(), now.partners(), now.hpa(),
                minReplicas, now.resourceVersion(), now.unreadable()));
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
