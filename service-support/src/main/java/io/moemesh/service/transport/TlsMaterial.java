package io.moemesh.service.transport;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The key and trust managers of one service, loaded from the PEM files of {@code moemesh.tls.*}
 * and re-read every reload interval by grpc-util's advanced TLS managers: a handshake after the
 * files changed uses the new certificate, connections already open keep theirs. Shared by every
 * server and channel of the service; {@link #close()} stops the reloads.
 */
public final class TlsMaterial implements AutoCloseable {

    private final TlsProperties tls;
    private final ScheduledExecutorService reloads;
    private final List<Runnable> watches = new ArrayList<>();
    private final AdvancedTlsX509KeyManager identity;
    /** Verifies servers we call: certificate chain and host name (the target's authority). */
    private final AdvancedTlsX509TrustManager serverTrust;
    /** Verifies callers (client-auth=require) and our own server on loopback: the chain only. */
    private final AdvancedTlsX509TrustManager chainTrust;

    public TlsMaterial(TlsProperties tls) {
        this.tls = tls;
        this.reloads = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tls-reload");
            t.setDaemon(true);
            return t;
        });
        try {
            identity = tls.serverTls() ? identity(tls.certFile(), tls.keyFile()) : null;
            serverTrust = tls.caFile() != null ? trust(tls.caFile(), Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
                    : null;
            chainTrust = tls.caFile() != null ? trust(tls.caFile(), Verification.CERTIFICATE_ONLY_VERIFICATION) : null;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            close();
            throw new IllegalStateException("moemesh.tls: the PEM files (cert-file " + tls.certFile() + ", key-file "
                    + tls.keyFile() + ", ca-file " + tls.caFile() + ") could not be loaded: " + e.getMessage(), e);
        }
    }

    public TlsProperties properties() {
        return tls;
    }

    /** This service's certificate and key; null without {@code cert-file}. */
    AdvancedTlsX509KeyManager identity() {
        return identity;
    }

    /** Trust for outbound channels (host name checked); null without {@code ca-file}. */
    AdvancedTlsX509TrustManager serverTrust() {
        return serverTrust;
    }

    /** Trust for verifying client certificates; null without {@code ca-file}. */
    AdvancedTlsX509TrustManager chainTrust() {
        return chainTrust;
    }

    private AdvancedTlsX509KeyManager identity(Path cert, Path key) throws IOException, GeneralSecurityException {
        AdvancedTlsX509KeyManager manager = new AdvancedTlsX509KeyManager();
        AdvancedTlsX509KeyManager.Closeable watch = manager.updateIdentityCredentials(cert.toFile(), key.toFile(),
                tls.reloadInterval().toMillis(), TimeUnit.MILLISECONDS, reloads);
        watches.add(watch::close);
        return manager;
    }

    private AdvancedTlsX509TrustManager trust(Path ca, Verification verification)
            throws IOException, GeneralSecurityException {
        AdvancedTlsX509TrustManager manager = AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(verification).build();
        AdvancedTlsX509TrustManager.Closeable watch = manager.updateTrustCredentials(ca.toFile(),
                tls.reloadInterval().toMillis(), TimeUnit.MILLISECONDS, reloads);
        watches.add(watch::close);
        return manager;
    }

    @Override
    public void close() {
        watches.forEach(Runnable::run);
        reloads.shutdownNow();
    }
}
