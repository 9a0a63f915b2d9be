package io.moemesh.cli.local;

import io.moemesh.core.local.ExpertPidFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One process of a local cluster as {@code moe status} sees it: whether it still runs, and what its
 * gRPC health service answers (the router's turns NOT_SERVING while its batch scheduler makes no
 * progress, docs/reliability.md). An expert process that the placement controller stopped on purpose
 * (a replica removed, an expert pruned: its pid file is gone) is {@code retired}: not running, and
 * not a fault.
 */
public record ProcessStatus(ServiceProcess process, boolean alive, String health, boolean retired) {

    public boolean healthy() {
        return retired || alive && "SERVING".equals(health);
    }

    /**
     * Every process of the cluster in {@code stateDir}: those {@code moe up} recorded, then the expert
     * processes only a pid file names (replicas the placement controller started), alive or not.
     */
    public static List<ProcessStatus> of(ClusterState state, Path stateDir) {
        List<ExpertPidFile> pidFiles = ExpertPidFile.readAll(stateDir);
        boolean managed = Files.isDirectory(ExpertPidFile.directory(stateDir));
        Set<String> listed = new HashSet<>(pidFiles.stream().map(ServiceProcess::keyOf).toList());
        Set<Long> recorded = new HashSet<>();
        List<ProcessStatus> all = new ArrayList<>();
        for (ServiceProcess p : state.processes()) {
            recorded.add(p.pid());
            boolean retired = managed && p.role().equals("expert") && !listed.contains(p.key());
            all.add(of(p, retired));
        }
        pidFiles.stream().filter(f -> !recorded.contains(f.pid()))
                .forEach(f -> all.add(of(ServiceProcess.expert(f, stateDir), false)));
        return all;
    }

    static ProcessStatus of(ServiceProcess p, boolean retired) {
        boolean alive = ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false);
        return new ProcessStatus(p, alive, alive ? HealthProbe.status(p.target()) : "exited", retired && !alive);
    }
}
