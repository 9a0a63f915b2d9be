package io.moemesh.placement.local;

/** Whether a process's gRPC server answers its standard health check with SERVING (false on any error). */
@FunctionalInterface
public interface HealthCheck {

    boolean serving(String target);
}
