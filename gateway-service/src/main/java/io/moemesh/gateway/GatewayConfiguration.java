package io.moemesh.gateway;

import io.grpc.ServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterPool;
import io.moemesh.service.transport.GrpcServerFactory;
import io.moemesh.service.transport.InternalChannelFactory;
import io.moemesh.service.transport.TransportConfiguration;
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
        return RouterPool.connect(properties.routers(), target -> channels.builder(target).build());
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
    GrpcServerLifecycle gatewayServer(ServerBuilder<?> gatewayServerBuilder, GatewayProperties properties,
            RouterPool routerPool, GatewayMetrics gatewayMetrics, GrpcServerFactory servers) {
        GrpcServerLifecycle server = GatewayAssembly.server(gatewayServerBuilder, properties, routerPool,
                gatewayMetrics);
        servers.healthServer().ifPresent(server::plaintextHealth); // probes that cannot speak TLS
        return server;
    }
}
