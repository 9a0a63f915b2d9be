package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway in front of two routers on real sockets, configured as the chart does it: one
 * {@code dns:///} target (a headless Service) whose name resolves to every router pod. A resolver for
 * the {@code dns} scheme that answers with the test's addresses stands in for cluster DNS.
 */
class GatewayRouterFanInTest {

    private static final String TARGET = "dns:///moe-router-headless.test:50071";

    private final FakeRouter first = new FakeRouter("router-0");
    private final FakeRouter second = new FakeRouter("router-1");
    private final List<Server> routers = new ArrayList<>();
    private FixedDns dns;
    private RouterPool pool;
    private GrpcServerLifecycle gateway;
    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (gateway != null) {
            gateway.stop();
        }
        if (pool != null) {
            pool.close();
        }
        routers.forEach(Server::shutdownNow);
        if (dns != null) {
            NameResolverRegistry.getDefaultRegistry().deregister(dns);
        }
    }

    @Test
    void aDnsTargetSpreadsCallsOverEveryRouterTheNameResolvesTo() throws IOException {
        startGateway(serve(first), serve(second));
        // the second connection may become ready a moment after the first: until then calls go to one
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            generate();
            return !first.requests.isEmpty() && !second.requests.isEmpty();
        });
        first.requests.clear();
        second.requests.clear();

        for (int i = 0; i < 8; i++) {
            generate();
        }

        assertThat(first.requests).hasSize(4);
        assertThat(second.requests).hasSize(4);
    }

    @Test
    void aResolvedAddressNobodyServesGetsNoCallsWhileAnotherRouterIsConnected() throws IOException {
        startGateway(unused(), serve(second));

        for (int i = 0; i < 4; i++) {
            generate();
        }

        assertThat(second.requests).hasSize(4);
    }

    @Test
    void aCallThatADrainingRouterRefusesFailsOverToAnotherRouterBehindTheSameName() throws IOException {
        startGateway(serve(first), serve(second));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            generate();
            return !first.requests.isEmpty() && !second.requests.isEmpty();
        });
        first.requests.clear();
        second.requests.clear();
        first.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));

        for (int i = 0; i < 6; i++) {
            generate(); // throws when the call fails
        }

        assertThat(first.requests).as("the draining router was picked, and refused").isNotEmpty();
        assertThat(second.requests).hasSize(6);
    }

    @Test
    void aPlainHostPortIsStillOneRouterAsInLocalMode() {
        GatewayProperties properties = GatewayProperties.withRouters(List.of("127.0.0.1:50071", TARGET),
                List.of(InProcessGateway.KEY));

        assertThat(properties.routers()).containsExactly("127.0.0.1:50071", TARGET);
    }

    private InetSocketAddress serve(FakeRouter router) throws IOException {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(router.recordingHeaders()).build().start();
        routers.add(server);
        return new InetSocketAddress("127.0.0.1", server.getPort());
    }

    /** A port that was free a moment ago: connections to it are refused. */
    private static InetSocketAddress unused() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress("127.0.0.1", socket.getLocalPort());
        }
    }

    private void startGateway(InetSocketAddress... routerPods) {
        dns = new FixedDns(List.of(routerPods));
        NameResolverRegistry.getDefaultRegistry().register(dns);
        GatewayProperties properties = GatewayProperties.withRouters(List.of(TARGET), List.of(InProcessGateway.KEY));
        pool = RouterPool.connect(properties.routers(),
                target -> Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()));
        String name = InProcessServerBuilder.generateName();
        gateway = GatewayAssembly.server(InProcessServerBuilder.forName(name), properties, pool,
                new GatewayMetrics(new SimpleMeterRegistry()));
        gateway.start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    private void generate() {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + InProcessGateway.KEY);
        MoeMeshGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .generate(GenerateRequest.newBuilder().setPrompt("hi").build()).forEachRemaining(response -> { });
    }

    /** Answers every {@code dns:} name with the test's router addresses, ahead of gRPC's own DNS resolver. */
    private static final class FixedDns extends NameResolverProvider {
        private final List<EquivalentAddressGroup> addresses;

        FixedDns(List<? extends SocketAddress> addresses) {
            this.addresses = addresses.stream().map(EquivalentAddressGroup::new).toList();
        }

        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 9; // gRPC's DnsNameResolverProvider has 5
        }

        @Override
        public String getDefaultScheme() {
            return "dns";
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!"dns".equals(target.getScheme())) {
                return null;
            }
            return new NameResolver() {
                @Override
                public String getServiceAuthority() {
                    return target.getPath().substring(1);
                }

                @Override
                public void start(Listener2 listener) {
                    listener.onResult(ResolutionResult.newBuilder().setAddresses(addresses).build());
                }

                @Override
                public void shutdown() {
                }
            };
        }
    }
}
