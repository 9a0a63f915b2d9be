package io.moemesh.placement.local;

/**
 * One expert-service process of the local mesh, as its pid file describes it.
 *
 * @param name   the pid file's name without {@code .pid}; its log is {@code <state>/logs/<name>.log}
 * @param pid    the operating-system process id
 * @param target {@code host:port} of its gRPC server, as listed in the endpoints file
 * @param expert the expert index it serves (its service)
 */
public record ExpertProcess(String name, long pid, String target, int expert) {

    public ExpertProcess {
        if (name == null || name.isBlank() || target == null || target.isBlank() || expert < 0) {
            throw new IllegalArgumentException("an expert process needs a name, a host:port and an expert index >= 0,"
                    + " got " + name + ", " + target + ", " + expert);
        }
    }
}
