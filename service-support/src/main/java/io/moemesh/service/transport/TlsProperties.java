package io.moemesh.service.transport;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code moemesh.tls.*}: the service's PEM identity and trust roots, as cert-manager writes them
 * into a Secret ({@code tls.crt}, {@code tls.key}, {@code ca.crt}); every file is re-read every
 * {@code reloadInterval}, so a rotated certificate is used without a restart.
 *
 * @param certFile       certificate chain; with {@code keyFile}, every gRPC server of the service speaks TLS, and
 *                       outbound internal calls present it as the client certificate
 * @param keyFile        the private key (PKCS#8 PEM) of {@code certFile}
 * @param caFile         trust roots: outbound internal channels use TLS and verify servers against them; with
 *                       {@code clientAuth=require} the internal servers verify callers against them
 * @param clientAuth     {@code none} or {@code require} (mTLS on the service's internal servers)
 * @param reloadInterval how often the files are checked for rotation
 * @param expertServerName the name the experts' certificate carries, verified instead of the address when an
 *                       expert is called (unset: the address's host). Routers and the placement controller reach
 *                       experts at pod IPs (EndpointSlices), which no certificate names
 */
@ConfigurationProperties("moemesh.tls")
public record TlsProperties(
        Path certFile,
        Path keyFile,
        Path caFile,
        @DefaultValue("none") ClientAuth clientAuth,
        @DefaultValue("1m") Duration reloadInterval,
        String expertServerName) {

    /** Whether internal servers ask callers for a certificate. */
    public enum ClientAuth {
        NONE, REQUIRE
    }

    @ConstructorBinding
    public TlsProperties {
        expertServerName = expertServerName == null || expertServerName.isBlank() ? null : expertServerName.strip();
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        reloadInterval = reloadInterval == null ? Duration.ofMinutes(1) : reloadInterval;
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("moemesh.tls.cert-file and moemesh.tls.key-file go together: set both"
                    + " (the PEM certificate and its key) or neither");
        }
        if (clientAuth == ClientAuth.REQUIRE && (certFile == null || caFile == null)) {
            throw new IllegalArgumentException("moemesh.tls.client-auth=require needs moemesh.tls.cert-file/key-file"
                    + " (the server's identity) and moemesh.tls.ca-file (to verify callers)");
        }
        if (!reloadInterval.isPositive()) {
            throw new IllegalArgumentException("moemesh.tls.reload-interval must be positive, got " + reloadInterval);
        }
    }

    /** Without an expert server name: for tests and tools that call no expert by address. */
    public TlsProperties(Path certFile, Path keyFile, Path caFile, ClientAuth clientAuth, Duration reloadInterval) {
        this(certFile, keyFile, caFile, clientAuth, reloadInterval, null);
    }

    /** No TLS: plaintext servers and channels. */
    public static TlsProperties none() {
        return new TlsProperties(null, null, null, ClientAuth.NONE, Duration.ofMinutes(1), null);
    }

    /** Whether the service's servers speak TLS. */
    public boolean serverTls() {
        return certFile != null;
    }

    /** Whether outbound internal channels speak TLS. */
    public boolean clientTls() {
        return caFile != null;
    }

    public boolean mutualTls() {
        return clientAuth == ClientAuth.REQUIRE;
    }
}
