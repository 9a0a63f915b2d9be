package io.moemesh.service.transport;

import io.micrometer.observation.ObservationPredicate;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.moemesh.service.tracing.GrpcTracing;
import io.moemesh.service.tracing.TracingProperties;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What a service imports to get its servers and internal channels made to {@code moemesh.transport.*},
 * {@code moemesh.tls.*} and {@code moemesh.auth.*}, traced with the service's tracer when it has one.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({TransportProperties.class, TlsProperties.class, AuthProperties.class,
        TracingProperties.class})
public class TransportConfiguration {

    @Bean(destroyMethod = "close")
    TlsMaterial tlsMaterial(TlsProperties tls) {
        return new TlsMaterial(tls);
    }

    /** The internal token when {@code moemesh.auth.internal-token-file} is set; none (a null bean) otherwise. */
    @Bean
    InternalToken internalToken(AuthProperties auth) {
        return auth.internalTokenFile() == null ? null : InternalToken.fromFile(auth.internalTokenFile());
    }

    /** Spans for gRPC calls from the service's tracer (Spring Boot's, over OpenTelemetry); off without one. */
    @Bean
    GrpcTracing grpcTracing(TracingProperties checked, ObjectProvider<Tracer> tracer,
            ObjectProvider<Propagator> propagator) {
        Tracer spans = tracer.getIfAvailable();
        Propagator context = propagator.getIfAvailable();
        return spans == null || spans == Tracer.NOOP || context == null ? GrpcTracing.off()
                : GrpcTracing.of(spans, context);
    }

    /**
     * A service's HTTP port serves only the actuator: without this, every Prometheus scrape and
     * health probe would be an HTTP server observation, and so a trace of its own. The predicate
     * turns those observations off (and with them the {@code http.server.requests} meters of the
     * actuator's own requests); traces start at the gateway's API only.
     */
    @Bean
    @ConditionalOnClass(name = "io.micrometer.tracing.otel.bridge.OtelTracer")
    ObservationPredicate untracedActuatorRequests() {
        return (name, context) -> !"http.server.requests".equals(name);
    }

    @Bean
    GrpcServerFactory grpcServerFactory(TransportProperties transport, TlsMaterial tls, AuthProperties auth,
            ObjectProvider<InternalToken> token, GrpcTracing tracing) {
        return new GrpcServerFactory(transport, tls, auth, Optional.ofNullable(token.getIfAvailable()), tracing);
    }

    @Bean
    InternalChannelFactory internalChannelFactory(TlsMaterial tls, ObjectProvider<InternalToken> token,
            GrpcTracing tracing) {
        return new InternalChannelFactory(tls, Optional.ofNullable(token.getIfAvailable()), tracing);
    }
}
