package io.moemesh.cli.local;

/** One service process of a local cluster: what it is, where it listens, its pid and its log. */
public record ServiceProcess(String name, String role, int port, long pid, String log) {

    public String target() {
        return "127.0.0.1:" + port;
    }
}
