package io.moemesh.service.transport;

import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.X509ExtendedKeyManager;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key and trust managers of one service, loaded from the PEM files of {@code moemesh.tls.*}.
 * Every reload interval the files' modification times and sizes are compared with the last load
 * and changed files are read again: a handshake after that uses the new certificate, connections
 * already open keep theirs. A file that cannot be read (half-written, wrong format) is logged and
 * the previous material stays in use. grpc-util's own file watch is not used: it silently raises
 * any period under one minute to one minute.
 */
public final class TlsMaterial implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsMaterial.class);

    private final TlsProperties tls;
    private final ScheduledExecutorService reloads;
    private final List<Watched> watched = new ArrayList<>();
    private final AdvancedTlsX509KeyManager identity;
    /** Verifies servers we call: certificate chain and host name (the target's authority). */
    private final AdvancedTlsX509TrustManager serverTrust;
    /** Verifies callers (client-auth=require) and our own server on loopback: the chain only. */
    private final AdvancedTlsX509TrustManager chainTrust;

    /** Files read together, and how to read them. */
    private record Watched(List<Path> files, List<Object> stamps, Reload reload) {
    }

    @FunctionalInterface
    private interface Reload {
        void run() throws IOException, GeneralSecurityException;
    }

    public TlsMaterial(TlsProperties tls) {
        this.tls = tls;
        try {
            if (tls.serverTls()) {
                identity = new AdvancedTlsX509KeyManager();
                watch(List.of(tls.certFile(), tls.keyFile()),
                        () -> identity.updateIdentityCredentials(tls.certFile().toFile(), tls.keyFile().toFile()));
            } else {
                identity = null;
            }
            serverTrust = tls.caFile() == null ? null : trust(Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION);
            chainTrust = tls.caFile() == null ? null : trust(Verification.CERTIFICATE_ONLY_VERIFICATION);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalStateException("moemesh.tls: the PEM files (cert-file " + tls.certFile() + ", key-file "
                    + tls.keyFile() + ", ca-file " + tls.caFile() + ") could not be loaded: " + e.getMessage(), e);
        }
        if (watched.isEmpty()) {
            reloads = null;
        } else {
            reloads = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tls-reload");
                t.setDaemon(true);
                return t;
            });
            long period = tls.reloadInterval().toMillis();
            reloads.scheduleWithFixedDelay(this::reloadChanged, period, period, TimeUnit.MILLISECONDS);
        }
    }

    public TlsProperties properties() {
        return tls;
    }

    /** This service's certificate and key; null without {@code cert-file}. */
    AdvancedTlsX509KeyManager identity() {
        return identity;
    }

    /**
     * This service's certificate and key for a server that is not gRPC (the gateway's HTTP API),
     * reloaded like the rest; empty without {@code cert-file}.
     */
    public Optional<X509ExtendedKeyManager> serverKeyManager() {
        return Optional.ofNullable(identity);
    }

    /** Trust for outbound channels (host name checked); null without {@code ca-file}. */
    AdvancedTlsX509TrustManager serverTrust() {
        return serverTrust;
    }

    /** Trust for verifying client certificates; null without {@code ca-file}. */
    AdvancedTlsX509TrustManager chainTrust() {
        return chainTrust;
    }

    private AdvancedTlsX509TrustManager trust(Verification verification) throws IOException, GeneralSecurityException {
        AdvancedTlsX509TrustManager manager = AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(verification).build();
        watch(List.of(tls.caFile()), () -> manager.updateTrustCredentials(tls.caFile().toFile()));
        return manager;
    }

    private void watch(List<Path> files, Reload reload) throws IOException, GeneralSecurityException {
        List<Object> stamps = stamps(files);
        reload.run();
        watched.add(new Watched(files, new ArrayList<>(stamps), reload));
    }

    private synchronized void reloadChanged() {
        for (Watched w : watched) {
            try {
                List<Object> now = stamps(w.files());
                if (!now.equals(w.stamps())) {
                    w.reload().run();
                    w.stamps().clear();
                    w.stamps().addAll(now);
                    LOG.info("TLS material reloaded from {}", w.files());
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                LOG.warn("TLS material {} could not be reloaded, keeping the previous one: {}", w.files(),
                        e.toString());
            }
        }
    }

    /** Modification time and size of each file: what changes when a Secret or cert-manager rotates it. */
    private static List<Object> stamps(List<Path> files) throws IOException {
        List<Object> stamps = new ArrayList<>();
        for (Path f : files) {
            stamps.add(Files.getLastModifiedTime(f));
            stamps.add(Files.size(f));
            stamps.add(Objects.toString(f.toRealPath())); // Kubernetes swaps a symlink to the new files
        }
        return stamps;
    }

    @Override
    public void close() {
        if (reloads != null) {
            reloads.shutdownNow();
        }
    }
}
