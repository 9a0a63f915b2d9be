package io.moemesh.gateway;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway as {@link GatewayAssembly} wires it, served in process, in front of in-process fake
 * routers. A router given as null stands for an address nobody serves.
 */
final class InProcessGateway implements AutoCloseable {

    static final String KEY = "test-key-1";
    static final String OTHER_KEY = "test-key-2";

    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<Server> routerServers = new ArrayList<>();
    private final RouterPool pool;
    private final GrpcServerLifecycle gateway;
    private final ManagedChannel channel;

    InProcessGateway(GatewayProperties properties, FakeRouter... routers) {
        List<RouterClient> clients = new ArrayList<>();
        for (FakeRouter router : routers) {
            String name = InProcessServerBuilder.generateName();
            if (router != null) {
                routerServers.add(start(InProcessServerBuilder.forName(name).directExecutor().addService(router).build()));
            }
            clients.add(new RouterClient(name, InProcessChannelBuilder.forName(name).build()));
        }
        pool = new RouterPool(clients);
        String gatewayName = InProcessServerBuilder.generateName();
        gateway = GatewayAssembly.server(InProcessServerBuilder.forName(gatewayName), properties, pool,
                new GatewayMetrics(meters));
        gateway.start();
        channel = InProcessChannelBuilder.forName(gatewayName).build();
    }

    /** A gateway with keys {@link #KEY} and {@link #OTHER_KEY} and otherwise default properties. */
    static InProcessGateway withKeys(FakeRouter... routers) {
        return new InProcessGateway(properties(List.of(KEY, OTHER_KEY), null), routers);
    }

    static GatewayProperties properties(List<String> apiKeys, GatewayProperties.RateLimit rateLimit) {
        return new GatewayProperties(null, List.of("in-process:1"), apiKeys, rateLimit, null, null, null, null, null,
                null, Duration.ofSeconds(1));
    }

    ManagedChannel channel() {
        return channel;
    }

    MoeMeshGrpc.MoeMeshBlockingStub stub() {
        return stub(KEY);
    }

    MoeMeshGrpc.MoeMeshBlockingStub stub(String apiKey) {
        MoeMeshGrpc.MoeMeshBlockingStub stub = MoeMeshGrpc.newBlockingStub(channel);
        if (apiKey == null) {
            return stub;
        }
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Override
    public void close() {
        channel.shutdownNow();
        gateway.stop();
        pool.close();
        routerServers.forEach(Server::shutdownNow);
    }

    private static Server start(Server server) {
        try {
            return server.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
