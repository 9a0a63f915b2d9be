package io.moemesh.service.transport;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.moemesh.service.tracing.GrpcTracing;
import java.security.cert.CertificateException;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Channels from one mesh service to another (gateway → router, router → expert, controller →
 * router/expert, an expert to itself): TLS verified against {@code moemesh.tls.ca-file} when it is
 * set, with this service's certificate as the client certificate (mTLS); plaintext otherwise. The
 * internal token, when configured, rides on every call as {@code authorization: Bearer …}, read
 * fresh per call so a rotated token file is picked up. Calls carry the caller's trace
 * ({@link GrpcTracing}): a client span per call, or for expert channels the current span only.
 */
public final class InternalChannelFactory {

    private final TlsMaterial tls;
    private final Optional<InternalToken> token;
    private final GrpcTracing tracing;

    public InternalChannelFactory(TlsMaterial tls, Optional<InternalToken> token) {
        this(tls, token, GrpcTracing.off());
    }

    public InternalChannelFactory(TlsMaterial tls, Optional<InternalToken> token, GrpcTracing tracing) {
        this.tls = tls;
        this.token = token;
        this.tracing = tracing;
    }

    /** Plaintext, no token: for tests and tools that talk to an unauthenticated local cluster. */
    public static InternalChannelFactory plaintext() {
        return new InternalChannelFactory(new TlsMaterial(TlsProperties.none()), Optional.empty());
    }

    /**
     * A channel builder for {@code target} ({@code host:port}); the host name is verified under TLS.
     * Each call is a client span of the caller's trace.
     */
    public ManagedChannelBuilder<?> builder(String target) {
        return Grpc.newChannelBuilder(target, credentials(tls.serverTrust())).intercept(tracing.clientSpans());
    }

    /**
     * A channel builder for an expert at {@code target}, usually a pod IP from discovery: under TLS
     * the server is verified as {@code moemesh.tls.expert-server-name} when that is set (the name the
     * experts' certificate carries), since no certificate names a pod's address. Calls make no span:
     * they send the caller's current span as their parent (the router wraps each Compute call in a
     * span that names its units and bytes).
     */
    public ManagedChannelBuilder<?> expertBuilder(String target) {
        ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, credentials(tls.serverTrust()))
                .intercept(tracing.currentSpanPropagation());
        String name = tls.properties().expertServerName();
        return tls() && name != null ? builder.overrideAuthority(name) : builder;
    }

    /**
     * A channel builder for this process's own server ({@link GrpcServerFactory#loopbackTarget}):
     * the certificate chain is verified, not the host name (the certificate names the Service, the
     * target is loopback); without a CA the server's own certificate is not checked at all, since
     * nothing else can hold the port the process bound.
     */
    public ManagedChannelBuilder<?> loopbackBuilder(String target) {
        if (!tls.properties().serverTls()) {
            return Grpc.newChannelBuilder(target, credentials(null));
        }
        try {
            AdvancedTlsX509TrustManager trust = tls.chainTrust() != null ? tls.chainTrust()
                    : AdvancedTlsX509TrustManager.newBuilder()
                            .setVerification(AdvancedTlsX509TrustManager.Verification.INSECURELY_SKIP_ALL_VERIFICATION)
                            .build();
            return Grpc.newChannelBuilder(target, credentials(trust));
        } catch (CertificateException e) {
            throw new IllegalStateException("loopback TLS trust manager: " + e.getMessage(), e);
        }
    }

    private ChannelCredentials credentials(AdvancedTlsX509TrustManager trust) {
        if (trust == null) {
            return withToken(InsecureChannelCredentials.create());
        }
        TlsChannelCredentials.Builder creds = TlsChannelCredentials.newBuilder().trustManager(trust);
        if (tls.identity() != null) {
            creds.keyManager(tls.identity());
        }
        return withToken(creds.build());
    }

    private ChannelCredentials withToken(ChannelCredentials channel) {
        return token.<ChannelCredentials>map(t -> CompositeChannelCredentials.create(channel, new Bearer(t)))
                .orElse(channel);
    }

    /** Whether outbound channels speak TLS. */
    public boolean tls() {
        return tls.serverTrust() != null;
    }

    /**
     * The token as call credentials. Sent over plaintext too: the token-only mode is for networks
     * the operator trusts against eavesdropping; with {@code ca-file} set the channel is TLS.
     */
    private static final class Bearer extends CallCredentials {

        private final InternalToken token;

        Bearer(InternalToken token) {
            this.token = token;
        }

        @Override
        public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
            try {
                Metadata headers = new Metadata();
                headers.put(InternalTokenInterceptor.AUTHORIZATION, InternalTokenInterceptor.BEARER + token.value());
                applier.apply(headers);
            } catch (RuntimeException e) {
                applier.fail(Status.UNAUTHENTICATED.withDescription("internal token unavailable: " + e.getMessage()));
            }
        }
    }
}
