package io.moemesh.service.transport;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moemesh.service.transport.TlsProperties.ClientAuth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Internal services fail closed: no token, no mTLS and no explicit opt-out stop start-up. */
class InternalAuthRuleTest {

    @Test
    void refusesToStartWithoutTokenMutualTlsOrOptOut() {
        TlsMaterial tls = new TlsMaterial(TlsProperties.none());
        GrpcServerFactory factory = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls,
                AuthProperties.of(null, false), Optional.empty());

        assertThatThrownBy(() -> factory.internalServer("expert", 0, 1024, Duration.ZERO, Set.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContainingAll("expert refuses to start", "moemesh.auth.internal-token-file",
                        "moemesh.tls.client-auth=require", "moemesh.auth.allow-unauthenticated=true");
    }

    @Test
    void startsWithTheToken() {
        assertThatCode(() -> InternalAuthRule.check("router", AuthProperties.of(Path.of("token"), false),
                TlsProperties.none(), true)).doesNotThrowAnyException();
    }

    @Test
    void startsWithMutualTls() {
        TlsProperties mtls = new TlsProperties(Path.of("tls.crt"), Path.of("tls.key"), Path.of("ca.crt"),
                ClientAuth.REQUIRE, Duration.ofMinutes(1));

        assertThatCode(() -> InternalAuthRule.check("router", AuthProperties.of(null, false), mtls, false))
                .doesNotThrowAnyException();
    }

    @Test
    void startsWhenUnauthenticatedIsAllowedExplicitly() {
        assertThatCode(() -> InternalAuthRule.check("router", AuthProperties.of(null, true), TlsProperties.none(),
                false)).doesNotThrowAnyException();
    }

    @Test
    void publicServerNeedsNoInternalAuthentication() {
        TlsMaterial tls = new TlsMaterial(TlsProperties.none());
        GrpcServerFactory factory = new GrpcServerFactory(TransportProperties.defaults("127.0.0.1"), tls,
                AuthProperties.of(null, false), Optional.empty());

        assertThatCode(() -> factory.publicServer(0, 1024, Duration.ZERO)).doesNotThrowAnyException();
    }

    @Test
    void mutualTlsWithoutCaIsRefused() {
        assertThatThrownBy(() -> new TlsProperties(Path.of("tls.crt"), Path.of("tls.key"), null, ClientAuth.REQUIRE,
                Duration.ofMinutes(1))).hasMessageContaining("moemesh.tls.ca-file");
    }
}
