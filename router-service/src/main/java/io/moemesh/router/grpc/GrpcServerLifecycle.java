package io.moemesh.router.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.router.batching.BatchScheduler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the router's gRPC server and its batch scheduler with the application context: health says
 * SERVING only once both run; on stop it turns NOT_SERVING, refuses new calls, lets the scheduler
 * finish what it admitted, and gives in-flight calls the drain timeout.
 */
public final class GrpcServerLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcServerLifecycle.class);

    private final ServerBuilder<?> builder;
    private final List<BindableService> services;
    private final HealthStatusManager health;
    private final BatchScheduler scheduler;
    private final Duration drainTimeout;
    private volatile Server server;

    public GrpcServerLifecycle(ServerBuilder<?> builder, List<BindableService> services, HealthStatusManager health,
            BatchScheduler scheduler, Duration drainTimeout) {
        this.builder = builder;
        this.services = List.copyOf(services);
        this.health = health;
        this.scheduler = scheduler;
        this.drainTimeout = drainTimeout;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        services.forEach(builder::addService);
        builder.addService(health.getHealthService());
        scheduler.start();
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("router gRPC server could not start (is moemesh.router.grpc-port in use?): "
                    + e.getMessage(), e);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        LOG.info("router gRPC server listening on port {}", server.getPort());
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getPort();
    }

    @Override
    public synchronized void stop() {
        Server running = server;
        if (running == null || running.isShutdown()) {
            return;
        }
        health.enterTerminalState();
        running.shutdown();
        scheduler.close();
        try {
            if (!running.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("calls still running after the drain timeout {}; cancelling them", drainTimeout);
                running.shutdownNow();
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        Server s = server;
        return s != null && !s.isShutdown();
    }
}
