package io.moemesh.gateway.grpc;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the gateway's gRPC server with the application context: starts after every other bean and
 * stops first, draining (new calls refused, in-flight generations get up to the drain timeout). The
 * standard gRPC health service (outside auth, for probes) says SERVING while it runs. The
 * {@link ServerBuilder} comes from outside, so tests run the same server in process.
 */
public final class GrpcServerLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcServerLifecycle.class);
    private static final long FORCED_STOP_WAIT_SECONDS = 5;

    private final ServerBuilder<?> builder;
    private final ServerServiceDefinition service;
    private final Duration drainTimeout;
    private final HealthStatusManager health = new HealthStatusManager();
    private volatile Server server;

    public GrpcServerLifecycle(ServerBuilder<?> builder, ServerServiceDefinition service, Duration drainTimeout) {
        this.builder = builder;
        this.service = service;
        this.drainTimeout = drainTimeout;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            server = builder.addService(service).addService(health.getHealthService()).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("the gateway's gRPC server could not start (is moemesh.gateway.grpc-port "
                    + "in use?): " + e.getMessage(), e);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        LOG.info("gateway gRPC server listening on port {}", server.getPort());
    }

    @Override
    public synchronized void stop() {
        Server running = server;
        if (running == null || running.isShutdown()) {
            return;
        }
        health.enterTerminalState();
        running.shutdown();
        try {
            if (!running.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("in-flight calls did not finish within the drain timeout {}; cancelling them", drainTimeout);
                running.shutdownNow().awaitTermination(FORCED_STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.info("gateway gRPC server stopped");
    }

    @Override
    public boolean isRunning() {
        Server running = server;
        return running != null && !running.isShutdown();
    }

    /** The bound port (the OS's choice when configured as 0); -1 in process or before start. */
    public int port() {
        Server running = server;
        return running == null ? -1 : running.getPort();
    }
}
