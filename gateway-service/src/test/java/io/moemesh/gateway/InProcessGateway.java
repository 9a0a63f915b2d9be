package io.moemesh.gateway;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.gateway.access.PeerFromHeader;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.MoeMeshGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The gateway as {@link GatewayAssembly} wires it, served in process, in front of in-process fake
 * routers. A router given as null stands for an address nobody serves. In process every caller has
 * the same address; a call with the header {@link #TEST_PEER} comes from that IP address instead.
 */
final class InProcessGateway implements AutoCloseable {

    static final String KEY = "test-key-1-0123456789abcdef0123456789abcdef";
    static final String OTHER_KEY = "test-key-2-0123456789abcdef0123456789abcdef";
    static final Metadata.Key<String> TEST_PEER = Metadata.Key.of("test-peer", Metadata.ASCII_STRING_MARSHALLER);

    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<Server> routerServers = new ArrayList<>();
    private final RouterPool pool;
    private final GrpcServerLifecycle gateway;
    private final ManagedChannel channel;

    InProcessGateway(GatewayProperties properties, FakeRouter... routers) {
        this(properties, System::nanoTime, routers);
    }

    InProcessGateway(GatewayProperties properties, LongSupplier nanoTime, FakeRouter... routers) {
        List<RouterClient> clients = new ArrayList<>();
        for (FakeRouter router : routers) {
            String name = InProcessServerBuilder.generateName();
            if (router != null) {
                routerServers.add(start(InProcessServerBuilder.forName(name).directExecutor()
                        .addService(router.recordingHeaders()).build()));
            }
            clients.add(new RouterClient(name, InProcessChannelBuilder.forName(name).build()));
        }
        pool = new RouterPool(clients);
        String gatewayName = InProcessServerBuilder.generateName();
        gateway = GatewayAssembly.server(InProcessServerBuilder.forName(gatewayName).intercept(new PeerFromHeader(TEST_PEER)),
                properties, pool, new GatewayMetrics(meters), nanoTime);
        gateway.start();
        channel = InProcessChannelBuilder.forName(gatewayName).build();
    }

    /** A gateway with keys {@link #KEY} and {@link #OTHER_KEY} and otherwise default properties. */
    static InProcessGateway withKeys(FakeRouter... routers) {
        return new InProcessGateway(new TestProperties().build(), routers);
    }

    ManagedChannel channel() {
        return channel;
    }

    MoeMeshGrpc.MoeMeshBlockingStub stub() {
        return stub(KEY);
    }

    MoeMeshGrpc.MoeMeshBlockingStub stub(String apiKey) {
        return MoeMeshGrpc.newBlockingStub(channel).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers(apiKey, null)));
    }

    /** A stub whose calls come from {@code peerIp}. */
    MoeMeshGrpc.MoeMeshBlockingStub stub(String apiKey, String peerIp) {
        return MoeMeshGrpc.newBlockingStub(channel).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers(apiKey, peerIp)));
    }

    MoeMeshGrpc.MoeMeshStub asyncStub(String apiKey, String peerIp) {
        return MoeMeshGrpc.newStub(channel).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers(apiKey, peerIp)));
    }

    private static Metadata headers(String apiKey, String peerIp) {
        Metadata headers = new Metadata();
        if (apiKey != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey);
        }
        if (peerIp != null) {
            headers.put(TEST_PEER, peerIp);
        }
        return headers;
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
