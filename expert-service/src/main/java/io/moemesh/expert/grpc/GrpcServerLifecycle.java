package io.moemesh.expert.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.moemesh.proto.internal.v1.ExpertGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the gRPC server for the application context. It starts after every bean, so the weights are
 * loaded before the health service first says SERVING; it stops first, and drains: health turns
 * NOT_SERVING, new calls are refused, in-flight calls get up to the drain timeout to finish.
 * The {@link ServerBuilder} comes in from outside, so tests run the same server in process.
 */
public final class GrpcServerLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcServerLifecycle.class);
    private static final long FORCED_STOP_WAIT_SECONDS = 5;

    private final ServerBuilder<?> builder;
    private final List<BindableService> services;
    private final HealthStatusManager health;
    private final Duration drainTimeout;
    private final EndpointIdentity endpoint;
    private volatile Server server;

    public GrpcServerLifecycle(ServerBuilder<?> builder, List<BindableService> services, HealthStatusManager health,
            Duration drainTimeout, EndpointIdentity endpoint) {
        this.builder = builder;
        this.services = List.copyOf(services);
        this.health = health;
        this.drainTimeout = drainTimeout;
        this.endpoint = endpoint;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        health.setStatus(ExpertGrpc.SERVICE_NAME, ServingStatus.NOT_SERVING);
        services.forEach(builder::addService);
        builder.addService(health.getHealthService());
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("gRPC server could not start (is moemesh.expert.grpc-port in use?): "
                    + e.getMessage(), e);
        }
        endpoint.bound(server.getPort());
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        health.setStatus(ExpertGrpc.SERVICE_NAME, ServingStatus.SERVING);
        LOG.info("expert gRPC server listening on port {} as {}", server.getPort(), endpoint.id());
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
        LOG.info("expert gRPC server stopped");
    }

    @Override
    public boolean isRunning() {
        Server running = server;
        return running != null && !running.isShutdown();
    }

    /** The bound port: the configured one, or the one the OS chose for port 0; -1 in process. */
    public int port() {
        return endpoint.port();
    }
}
