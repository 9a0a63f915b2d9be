package io.moemesh.service.transport;

import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What a service imports to get its servers and internal channels made to {@code moemesh.transport.*},
 * {@code moemesh.tls.*} and {@code moemesh.auth.*}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({TransportProperties.class, TlsProperties.class, AuthProperties.class})
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

    @Bean
    GrpcServerFactory grpcServerFactory(TransportProperties transport, TlsMaterial tls, AuthProperties auth,
            ObjectProvider<InternalToken> token) {
        return new GrpcServerFactory(transport, tls, auth, Optional.ofNullable(token.getIfAvailable()));
    }

    @Bean
    InternalChannelFactory internalChannelFactory(TlsMaterial tls, ObjectProvider<InternalToken> token) {
        return new InternalChannelFactory(tls, Optional.ofNullable(token.getIfAvailable()));
    }
}
