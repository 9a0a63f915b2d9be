package io.moemesh.cli.local;

import java.util.List;

/**
 * One process of a local cluster as {@code moe status} sees it: whether it still runs, and what its
 * gRPC health service answers (the router's turns NOT_SERVING while its batch scheduler makes no
 * progress, docs/reliability.md).
 */
public record ProcessStatus(ServiceProcess process, boolean alive, String health) {

    public boolean healthy() {
        return alive && "SERVING".equals(health);
    }

    public static List<ProcessStatus> of(ClusterState state) {
        return state.processes().stream().map(ProcessStatus::of).toList();
    }

    static ProcessStatus of(ServiceProcess p) {
        boolean alive = ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false);
        return new ProcessStatus(p, alive, alive ? HealthProbe.status(p.target()) : "exited");
    }
}
