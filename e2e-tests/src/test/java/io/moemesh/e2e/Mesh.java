package io.moemesh.e2e;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * One deployment of the services' images on its own Docker network, each container run as a
 * Kubernetes pod of the Helm chart runs it: as the image's non-root user, read-only root filesystem,
 * {@code /tmp} a tmpfs mounted noexec (the tokenizer's native library is unpacked at image build, not
 * into /tmp; Netty's falls back to its Java transport), no capabilities, no new
 * privileges, a memory limit, and the model mounted read-only at {@code /models}. Containers reach one
 * another by network alias ({@code expert-3:50061}); the tests reach them through published ports.
 * Closing writes every container's log to {@code moemesh.e2e.logs/<name>/<alias>.log} and removes them.
 */
final class Mesh implements AutoCloseable {

    static final int EXPERT_GRPC = 50061;
    static final int ROUTER_GRPC = 50052;
    /** The router's internal services: RoutingStats, ExpertEndpoints (the placement controller's). */
    static final int ROUTER_INTERNAL_GRPC = 50056;
    /**
     * The internal services run without the internal token or mTLS here: the test network is
     * closed, and what is tested is the mesh's behaviour (the transport security has its own tests).
     */
    static final String UNAUTHENTICATED = "--moemesh.auth.allow-unauthenticated=true";
    /** The gateway's plaintext health port when its public port speaks TLS. */
    static final int GATEWAY_HEALTH = 50059;
    static final int GATEWAY_GRPC = 50051;
    static final int EXPERT_HTTP = 8061;
    static final int CONTROLLER_GRPC = 50053;
    static final String LABEL = "io.moemesh.e2e";
    private static final long MEMORY_LIMIT = 768L << 20;
    /** 16 expert JVMs starting at once on two cores answer SERVING after 75-120 s. */
    private static final Duration STARTUP = Duration.ofMinutes(8);

    private final String name;
    private final Path model;
    private final Network network;
    private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
    /** Null: the internal services run with allow-unauthenticated and the gateway in plaintext. */
    private final MeshSecrets secrets;

    Mesh(String name, Path model) {
        this(name, model, null);
    }

    /**
     * A mesh run as the Helm chart runs it when {@code secrets} is given: every service with the
     * internal token, the gateway with keys from a file and TLS on its public port (its health on the
     * plaintext {@value #GATEWAY_HEALTH} port, as kubelet probes need).
     */
    Mesh(String name, Path model, MeshSecrets secrets) {
        this.name = name;
        this.model = model.toAbsolutePath().normalize();
        this.secrets = secrets;
        this.network = Network.builder().createNetworkCmdModifier(cmd -> cmd.withLabels(Map.of(LABEL, name))).build();
    }

    /**
     * An expert service hosting {@code experts} ("3" or "0,1,2,3") of every MoE layer, reachable as {@code alias};
     * its actuator (HTTP 8061) is published too.
     */
    GenericContainer<?> expert(String alias, String experts, String... args) {
        GenericContainer<?> c = service(MeshImages.EXPERT, alias, EXPERT_GRPC, true,
                concat(concat(List.of("--moemesh.expert.experts=" + experts), internalAuth()), args));
        c.addExposedPort(EXPERT_HTTP);
        return c;
    }

    /** A router calling the expert services at {@code expertAliases} (port 50061). */
    GenericContainer<?> router(String alias, Collection<String> expertAliases, String... args) {
        String experts = String.join(",", expertAliases.stream().map(a -> a + ":" + EXPERT_GRPC).toList());
        GenericContainer<?> c = service(MeshImages.ROUTER, alias, ROUTER_GRPC, true,
                concat(concat(List.of("--moemesh.router.experts=" + experts), internalAuth()), args));
        c.addExposedPort(ROUTER_INTERNAL_GRPC);
        return c;
    }

    GenericContainer<?> gateway(String alias, String routerAlias, String... args) {
        List<String> base = List.of("--moemesh.gateway.routers=" + routerAlias + ":" + ROUTER_GRPC);
        if (secrets == null) {
            return service(MeshImages.GATEWAY, alias, GATEWAY_GRPC, GATEWAY_GRPC, false, concat(base, args));
        }
        List<String> secured = concat(concat(concat(base, secrets.internalAuthArguments()), secrets.gatewayArguments()),
                List.of("--moemesh.transport.health-port=" + GATEWAY_HEALTH));
        return service(MeshImages.GATEWAY, alias, GATEWAY_GRPC, GATEWAY_HEALTH, false, concat(secured, args));
    }

    /** Where the services find the internal token: its file, or allow-unauthenticated without secrets. */
    private List<String> internalAuth() {
        return secrets == null ? List.of(UNAUTHENTICATED) : secrets.internalAuthArguments();
    }

    /** A test's channel to an internal service ({@code host:port}), with the internal token when there is one. */
    ManagedChannel internalChannel(String target) {
        var builder = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create());
        if (secrets != null) {
            builder.intercept(secrets.internalCredentials());
        }
        return builder.build();
    }

    GenericContainer<?> controller(String alias, String routerAlias, String... args) {
        return service(MeshImages.CONTROLLER, alias, CONTROLLER_GRPC, false,
                concat(concat(List.of("--moemesh.controller.routers=" + routerAlias + ":" + ROUTER_INTERNAL_GRPC),
                        internalAuth()), args));
    }

    private GenericContainer<?> service(String module, String alias, int grpcPort, boolean mountModel,
            List<String> args) {
        return service(module, alias, grpcPort, grpcPort, mountModel, args);
    }

    private GenericContainer<?> service(String module, String alias, int grpcPort, int healthPort, boolean mountModel,
            List<String> args) {
        if (containers.containsKey(alias)) {
            throw new IllegalArgumentException(alias + " is already part of mesh " + name);
        }
        GenericContainer<?> c = new GenericContainer<>(MeshImages.of(module))
                .withNetwork(network)
                .withNetworkAliases(alias)
                .withExposedPorts(healthPort == grpcPort ? new Integer[] {grpcPort} : new Integer[] {grpcPort, healthPort})
                .withCommand(args.toArray(String[]::new))
                .withTmpFs(Map.of("/tmp", "rw,noexec,nosuid,nodev,size=256m"))
                .withLabel(LABEL, name)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        // a bind set here, not withFileSystemBind: that first checks file mounting with an
                        // alpine container, which cannot be pulled where no registry is reachable
                        .withBinds(binds(mountModel))
                        .withReadonlyRootfs(true)
                        .withCapDrop(Capability.ALL)
                        .withSecurityOpts(List.of("no-new-privileges"))
                        .withMemory(MEMORY_LIMIT)
                        .withMemorySwap(MEMORY_LIMIT))
                .waitingFor(new GrpcHealthWait(healthPort).withStartupTimeout(STARTUP));
        containers.put(alias, c);
        return c;
    }

    /** Starts the containers at once and waits until each answers SERVING. */
    void start(Collection<? extends GenericContainer<?>> toStart) {
        Startables.deepStart(toStart.stream()).join();
    }

    void start(GenericContainer<?>... toStart) {
        start(List.of(toStart));
    }

    /** {@code host:port} of a container's published gRPC port. */
    static String target(GenericContainer<?> c) {
        return c.getHost() + ":" + c.getMappedPort(c.getExposedPorts().getFirst());
    }

    /** The container started as {@code alias}. */
    GenericContainer<?> container(String alias) {
        GenericContainer<?> c = containers.get(alias);
        if (c == null) {
            throw new IllegalArgumentException("no container " + alias + " in mesh " + name);
        }
        return c;
    }

    /** Where the tests reach a router's internal services (RoutingStats, ExpertEndpoints). */
    static String internalTarget(GenericContainer<?> router) {
        return target(router, ROUTER_INTERNAL_GRPC);
    }

    static String target(GenericContainer<?> c, int port) {
        return c.getHost() + ":" + c.getMappedPort(port);
    }

    /**
     * Tokens an expert container has computed so far, warm-up included: the sum of its
     * {@code moemesh_expert_batch_tokens_sum} series on {@code /actuator/prometheus}.
     */
    static long tokensComputed(GenericContainer<?> expert) {
        URI uri = URI.create("http://" + target(expert, EXPERT_HTTP) + "/actuator/prometheus");
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return (long) body.lines().filter(l -> l.startsWith("moemesh_expert_batch_tokens_sum"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code docker stop}: SIGTERM, the service drains, SIGKILL after 10 s. The container stays for its logs. */
    static void stop(GenericContainer<?> c) {
        docker().stopContainerCmd(c.getContainerId()).withTimeout(10).exec();
    }

    /** {@code docker kill}: SIGKILL, no draining. */
    static void kill(GenericContainer<?> c) {
        docker().killContainerCmd(c.getContainerId()).exec();
    }

    /** {@code docker pause}: the processes freeze; connections stay open and calls get no answer. */
    static void pause(GenericContainer<?> c) {
        docker().pauseContainerCmd(c.getContainerId()).exec();
    }

    static void unpause(GenericContainer<?> c) {
        docker().unpauseContainerCmd(c.getContainerId()).exec();
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    @Override
    public void close() {
        Path logs = Path.of(System.getProperty("moemesh.e2e.logs", "target/e2e-logs")).resolve(name);
        try {
            containers.forEach((alias, c) -> saveLog(alias, c, logs));
        } finally {
            try {
                containers.values().parallelStream().forEach(c -> {
                    try {
                        c.stop();
                    } catch (RuntimeException e) {
                        System.err.println("[e2e] could not remove " + c.getContainerId() + ": " + e);
                    }
                });
            } finally {
                network.close();
            }
        }
    }

    private static void saveLog(String alias, GenericContainer<?> c, Path logs) {
        if (c.getContainerId() == null) {
            return; // never started
        }
        try {
            if (Boolean.TRUE.equals(docker().inspectContainerCmd(c.getContainerId()).exec().getState().getPaused())) {
                unpause(c);
            }
            Files.createDirectories(logs);
            Files.writeString(logs.resolve(alias + ".log"), c.getLogs());
        } catch (IOException | RuntimeException e) {
            System.err.println("[e2e] no log of " + alias + ": " + e);
        }
    }

    private List<Bind> binds(boolean mountModel) {
        List<Bind> binds = new ArrayList<>();
        if (mountModel) {
            binds.add(new Bind(model.toString(), new Volume("/models"), AccessMode.ro));
        }
        if (secrets != null) {
            binds.add(new Bind(secrets.dir().toString(), new Volume(MeshSecrets.MOUNT), AccessMode.ro));
        }
        return binds;
    }

    private static List<String> concat(List<String> first, List<String> more) {
        List<String> out = new ArrayList<>(first);
        out.addAll(more);
        return out;
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> out = new ArrayList<>(first);
        out.addAll(List.of(more));
        return out;
    }
}
