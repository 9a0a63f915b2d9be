package io.moemesh.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterClient;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.MoeMeshGrpc;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.service.transport.AuthProperties;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TlsProperties;
import io.moemesh.service.transport.TransportProperties;
import io.moemesh.testing.InMemoryTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's part of a request's trace, wired as the service wires it (the transport factories
 * over real sockets): its public server starts the trace, and its call to the router is a client
 * span whose context the router receives as {@code traceparent}.
 */
class GatewayTracingTest {

    private static final Metadata.Key<String> TRACEPARENT =
            Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    private final InMemoryTracing tracing = new InMemoryTracing("gateway-service");
    private final GrpcTracing grpc = GrpcTracing.of(tracing.tracer(), tracing.propagator());
    private final FakeRouter router = new FakeRouter("router-1");
    private final FakeRouter spare = new FakeRouter("router-2");
    private final List<Server> routerServers = new ArrayList<>();
    private RouterPool pool;
    private GrpcServerLifecycle gateway;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        TlsMaterial plaintext = new TlsMaterial(TlsProperties.none());
        List<RouterClient> clients = new ArrayList<>();
        for (FakeRouter fake : List.of(router, spare)) { // a fresh pool tries router-1 first
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(fake.recordingHeaders()).build().start();
            routerServers.add(server);
            String target = "127.0.0.1:" + server.getPort();
            clients.add(new RouterClient(target,
                    new InternalChannelFactory(plaintext, Optional.empty(), grpc).builder(target).build()));
        }
        pool = new RouterPool(clients);
        GrpcServerFactory servers = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), plaintext,
                AuthProperties.of(null, true), Optional.empty(), grpc);
        GatewayProperties properties = new TestProperties().build();
        gateway = GatewayAssembly.server(servers.publicServer(0, GatewayConfiguration.MAX_INBOUND_BYTES,
                Duration.ofSeconds(1)), properties, GatewayAssembly.publicApi(properties, pool,
                new GatewayMetrics(new SimpleMeterRegistry()), System::nanoTime, tracing.tracer()), null);
        gateway.start();
        channel = Grpc.newChannelBuilder("127.0.0.1:" + gateway.port(), InsecureChannelCredentials.create()).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        gateway.stop();
        pool.close();
        for (Server server : routerServers) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        tracing.close();
    }

    @Test
    void routerCallIsAChildOfTheGatewaysServerSpanAndCarriesItsContext() {
        stub(InProcessGateway.KEY).generate(GenerateRequest.newBuilder().setPrompt("hi").build())
                .forEachRemaining(response -> { });

        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans().size() >= 2);
        SpanData server = only(SpanKind.SERVER);
        SpanData client = only(SpanKind.CLIENT);
        assertThat(server.getName()).isEqualTo("moemesh.v1.MoeMesh/Generate");
        assertThat(server.getParentSpanContext().isValid()).as("the gateway starts the trace").isFalse();
        assertThat(client.getTraceId()).isEqualTo(server.getTraceId());
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(router.headers.getFirst().get(TRACEPARENT))
                .isEqualTo("00-" + server.getTraceId() + "-" + client.getSpanId() + "-01");
        System.out.println("gateway span tree:\n" + tracing.tree(server.getTraceId()));
    }

    @Test
    void failoverToAnotherRouterStaysInTheRequestsTrace() {
        router.script = FakeRouter.failing(Status.UNAVAILABLE.withDescription("draining"));

        stub(InProcessGateway.KEY).generate(GenerateRequest.newBuilder().setPrompt("hi").build())
                .forEachRemaining(response -> { });

        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans().size() >= 3);
        SpanData server = only(SpanKind.SERVER);
        List<SpanData> clients = tracing.spans().stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
        assertThat(clients).hasSize(2).allSatisfy(client -> assertThat(client.getTraceId())
                .isEqualTo(server.getTraceId()));
        assertThat(spare.headers.getFirst().get(TRACEPARENT)).startsWith("00-" + server.getTraceId() + "-");
        System.out.println("gateway failover span tree:\n" + tracing.tree(server.getTraceId()));
    }

    @Test
    void callRefusedForItsKeyIsTracedAndStillRefused() {
        assertThatThrownBy(() -> stub("not-a-key-0123456789abcdef0123456789abcdef")
                .generate(GenerateRequest.newBuilder().setPrompt("hi").build()).hasNext())
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

        await().atMost(Duration.ofSeconds(10)).until(() -> !tracing.spans().isEmpty());
        SpanData server = only(SpanKind.SERVER);
        assertThat(server.getAttributes().get(AttributeKey.stringKey("grpc.status_code"))).isEqualTo("UNAUTHENTICATED");
        assertThat(tracing.spans()).noneMatch(s -> s.getKind() == SpanKind.CLIENT);
        assertThat(router.headers).isEmpty();
    }

    private MoeMeshGrpc.MoeMeshBlockingStub stub(String key) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return MoeMeshGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private SpanData only(SpanKind kind) {
        List<SpanData> spans = tracing.spans().stream().filter(s -> s.getKind() == kind).toList();
        assertThat(spans).as("%s spans among %s", kind, tracing.spans()).hasSize(1);
        return spans.getFirst();
    }
}
