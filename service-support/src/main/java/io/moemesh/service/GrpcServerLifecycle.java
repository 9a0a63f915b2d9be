package io.moemesh.service;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A service's gRPC server, run with its Spring application context. It starts after every other
 * bean, so the standard health service first says SERVING when the service can serve (weights
 * loaded, scheduler running). It stops first and drains: health turns NOT_SERVING, new calls are
 * refused, in-flight calls get the drain timeout, then are cancelled. The health service is added
 * beside the services, outside any interceptor they carry (auth), so probes need no credentials.
 * The {@link ServerBuilder} comes from outside, so tests run the same server in process.
 */
public final class GrpcServerLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcServerLifecycle.class);
    private static final long FORCED_STOP_WAIT_SECONDS = 5;

    /** What a service does around its server; every method is optional. */
    public interface Hooks {

        /** Before the server accepts calls (e.g. start a scheduler). */
        default void beforeStart() {
        }

        /** The server is bound to {@code port} (-1 in process). */
        default void started(int port) {
        }

        /** New calls are refused; finish admitted work before the in-flight calls are waited for. */
        default void draining() {
        }
    }

    private final String name;
    private final ServerBuilder<?> builder;
    private final List<ServerServiceDefinition> services;
    private final HealthStatusManager health;
    private final Duration drainTimeout;
    private final Hooks hooks;
    private volatile Server server;
    private ServerBuilder<?> healthOnlyBuilder;
    private volatile Server healthOnly;
    /** Why the service cannot serve any more; null while it can. */
    private volatile String notServing;
    /** The latest passing condition ({@link #serving}); the server starts NOT_SERVING while it is false. */
    private volatile boolean conditionServing = true;

    public GrpcServerLifecycle(String name, ServerBuilder<?> builder, List<ServerServiceDefinition> services,
            HealthStatusManager health, Duration drainTimeout, Hooks hooks) {
        this.name = name;
        this.builder = builder;
        this.services = List.copyOf(services);
        this.health = health;
        this.drainTimeout = drainTimeout;
        this.hooks = hooks;
    }

    /**
     * Also serve the health service alone, in plaintext, from {@code builder} (a second port, for
     * probes that cannot speak the main server's TLS). Call before {@link #start()}.
     */
    public GrpcServerLifecycle plaintextHealth(ServerBuilder<?> builder) {
        this.healthOnlyBuilder = builder;
        return this;
    }

    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        hooks.beforeStart();
        services.forEach(builder::addService);
        builder.addService(health.getHealthService());
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(name + " gRPC server could not start (is its port in use?): "
                    + e.getMessage(), e);
        }
        if (healthOnlyBuilder != null) {
            try {
                healthOnly = healthOnlyBuilder.addService(health.getHealthService()).build().start();
            } catch (IOException e) {
                server.shutdownNow();
                throw new UncheckedIOException(name + " plaintext health server could not start (is its port in use?): "
                        + e.getMessage(), e);
            }
            LOG.info("{} plaintext health server listening on {}", name, healthOnly.getListenSockets());
        }
        hooks.started(server.getPort());
        setAll(conditionServing ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        LOG.info("{} gRPC server listening on {}", name, server.getListenSockets());
        if (notServing != null || !conditionServing) { // changed while starting: SERVING must not hide it
            setAll(ServingStatus.NOT_SERVING);
        }
    }

    /**
     * Something the service needs stopped working (e.g. a worker died of an Error): health answers
     * NOT_SERVING from now on, before and after {@link #start()}, so that a supervisor restarts the
     * process. Calls are still accepted; stopping stays the supervisor's decision. Safe from any thread.
     */
    public void markNotServing(String reason) {
        if (notServing == null) {
            notServing = reason;
            LOG.error("{} is NOT_SERVING from now on, restart it: {}", name, reason);
        }
        setAll(ServingStatus.NOT_SERVING);
    }

    private void setAll(ServingStatus status) {
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
        services.forEach(s -> health.setStatus(s.getServiceDescriptor().getName(), status));
    }

    /**
     * A passing condition, unlike {@link #markNotServing}: NOT_SERVING while a service's work loop
     * makes no progress (or, for the router, until its first expert discovery), SERVING again once it
     * does. Called before start, it decides whether the server starts SERVING, so that a condition
     * known before the port opens is never hidden by a SERVING at start. Ignored once the server
     * drains, and after {@link #markNotServing} (that one is for good).
     */
    public void serving(boolean serving) {
        conditionServing = serving;
        if (server == null || notServing != null) {
            return;
        }
        setAll(serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    @Override
    public synchronized void stop() {
        Server running = server;
        if (running == null || running.isShutdown()) {
            return;
        }
        health.enterTerminalState();
        running.shutdown();
        hooks.draining();
        try {
            if (!running.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{}: calls still running after the drain timeout {}; cancelling them", name, drainTimeout);
                running.shutdownNow().awaitTermination(FORCED_STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (healthOnly != null) {
            healthOnly.shutdownNow();
        }
        LOG.info("{} gRPC server stopped", name);
    }

    @Override
    public boolean isRunning() {
        Server running = server;
        return running != null && !running.isShutdown();
    }

    /** The plaintext health server's bound port; -1 without one or before start. */
    public int healthPort() {
        Server running = healthOnly;
        return running == null ? -1 : running.getPort();
    }

        /** The bound port (the OS's choice for port 0); -1 in process or before start. */
    public int port() {
        Server running = server;
        return running == null ? -1 : running.getPort();
    }
}
