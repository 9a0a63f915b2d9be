package io.moemesh.gateway;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TlsMaterial;
import io.moemesh.service.transport.TransportConfiguration;
import io.moemesh.service.transport.TransportProperties;
import io.moemesh.gateway.openai.OpenAiHttpServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import javax.net.ssl.SSLException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
@Import(TransportConfiguration.class)
class GatewayConfiguration {

    /** A Generate request: a prompt of at most 32 KiB (max-prompt-bytes) plus parameters, with room to spare. */
    static final int MAX_INBOUND_BYTES = 1 << 20;

    @Bean
    GatewayMetrics gatewayMetrics(MeterRegistry registry) {
        return new GatewayMetrics(registry);
    }

    /** Closed after the gRPC server has drained (lifecycle beans stop before singletons are destroyed). */
    @Bean(destroyMethod = "close")
    RouterPool routerPool(GatewayProperties properties, InternalChannelFactory channels) {
        return RouterPool.connect(properties.routers(), channels::builder);
    }

    /**
     * The public port: bound to {@code moemesh.transport.bind-address} with the transport limits,
     * TLS when {@code moemesh.tls.cert-file} is set; never a client certificate (callers are API
     * key holders, authenticated by the gateway itself).
     */
    @Bean
    ServerBuilder<?> gatewayServerBuilder(GatewayProperties properties, GrpcServerFactory servers) {
        return servers.publicServer(properties.grpcPort(), MAX_INBOUND_BYTES, properties.drainTimeout());
    }

    @Bean
    GatewayAssembly.PublicApi gatewayPublicApi(GatewayProperties properties, RouterPool routerPool,
            GatewayMetrics gatewayMetrics, GrpcTracing tracing) {
        return GatewayAssembly.publicApi(properties, routerPool, gatewayMetrics, System::nanoTime, tracing.tracer());
    }

    /**
     * The OpenAI-compatible HTTP API, or none (a null bean) with {@code moemesh.gateway.http-port=-1}.
     * Its in-process calls of the public API start traces as the gRPC port's calls do.
     */
    @Bean
    OpenAiHttpServer openAiHttpServer(GatewayProperties properties, GatewayAssembly.PublicApi gatewayPublicApi,
            TlsMaterial tls, TransportProperties transport, GrpcTracing tracing) {
        return properties.httpPort() < 0 ? null : new OpenAiHttpServer(new OpenAiHttpServer.Settings(
                transport.bindAddress(), properties.httpPort(), properties.drainTimeout(), httpTls(tls)),
                ServerInterceptors.intercept(gatewayPublicApi.service(), tracing.serverSpans()),
                gatewayPublicApi::mayBeAdmitted);
    }

    @Bean
    GrpcServerLifecycle gatewayServer(ServerBuilder<?> gatewayServerBuilder, GatewayProperties properties,
            GatewayAssembly.PublicApi gatewayPublicApi, ObjectProvider<OpenAiHttpServer> openAiHttpServer,
            GrpcServerFactory servers) {
        GrpcServerLifecycle server = GatewayAssembly.server(gatewayServerBuilder, properties, gatewayPublicApi,
                openAiHttpServer.getIfAvailable());
        servers.healthServer().ifPresent(server::plaintextHealth); // probes that cannot speak TLS
        return server;
    }

    /** The HTTP API's TLS: the gateway's own certificate (moemesh.tls.cert-file), as on its gRPC port. */
    private static SslContext httpTls(TlsMaterial tls) {
        return tls.serverKeyManager().map(keys -> {
            try {
                return SslContextBuilder.forServer(keys).build();
            } catch (SSLException e) {
                throw new IllegalStateException("moemesh.tls: no TLS context for the HTTP API: " + e.getMessage(), e);
            }
        }).orElse(null);
    }
}
