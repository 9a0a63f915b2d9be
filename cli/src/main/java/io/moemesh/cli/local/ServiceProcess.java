package io.moemesh.cli.local;

import io.moemesh.core.local.ExpertPidFile;
import java.nio.file.Path;

/** One service process of a local cluster: what it is, where it listens, its pid and its log. */
public record ServiceProcess(String name, String role, int port, long pid, String log) {

    public String target() {
        return "127.0.0.1:" + port;
    }

    /**
     * The expert process a pid file names, as {@code moe status} and {@code moe down} see it; its log
     * is {@code logs/<name>.log}, where the placement controller writes it.
     */
    static ServiceProcess expert(ExpertPidFile f, Path stateDir) {
        int port = Integer.parseInt(f.target().substring(f.target().lastIndexOf(':') + 1));
        String log = stateDir.resolve("logs").resolve(f.name() + ".log").toString();
        return new ServiceProcess(f.name(), "expert", port, f.pid(), log);
    }

    /**
     * Name and pid: what says that a process {@code moe up} recorded is the one a pid file names (the
     * controller may restore a stopped expert under the same name, as another process).
     */
    String key() {
        return name + "#" + pid;
    }

    static String keyOf(ExpertPidFile f) {
        return f.name() + "#" + f.pid();
    }
}
