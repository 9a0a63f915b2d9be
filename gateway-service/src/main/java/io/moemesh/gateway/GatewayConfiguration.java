package io.moemesh.gateway;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.moemesh.service.GrpcServerLifecycle;
import io.moemesh.gateway.metrics.GatewayMetrics;
import io.moemesh.gateway.routing.RouterPool;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewayProperties.class)
class GatewayConfiguration {

    @Bean
    GatewayMetrics gatewayMetrics(MeterRegistry registry) {
        return new GatewayMetrics(registry);
    }

    /** Closed after the gRPC server has drained (lifecycle beans stop before singletons are destroyed). */
    @Bean(destroyMethod = "close")
    RouterPool routerPool(GatewayProperties properties) {
        return RouterPool.connect(properties.routers());
    }

    @Bean
    ServerBuilder<?> gatewayServerBuilder(GatewayProperties properties) {
        return Grpc.newServerBuilderForPort(properties.grpcPort(), InsecureServerCredentials.create());
    }

    @Bean
    GrpcServerLifecycle gatewayServer(ServerBuilder<?> gatewayServerBuilder, GatewayProperties properties,
            RouterPool routerPool, GatewayMetrics gatewayMetrics) {
        return GatewayAssembly.server(gatewayServerBuilder, properties, routerPool, gatewayMetrics);
    }
}
