package io.moemesh.service.transport;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.moemesh.service.tracing.GrpcTracing;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every gRPC server of a service the same way: bound to {@code moemesh.transport.bind-address}
 * (unset: every address of every family),
 * with the HTTP/2 limits of {@code moemesh.transport.*}, TLS from {@code moemesh.tls.*} when a
 * certificate is configured, and — on internal servers — the start-up rule, mTLS, the internal
 * token and the peer identity check on mutating methods. Every server traces its calls outside every
 * other interceptor, so a refused call is traced too: a public server starts traces
 * ({@link GrpcTracing#serverSpans()}), an internal one continues its callers'
 * ({@link GrpcTracing#continuedServerSpans()}).
 */
public final class GrpcServerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcServerFactory.class);
    /** A HealthCheckRequest is a service name. */
    private static final int HEALTH_MAX_INBOUND_BYTES = 16 << 10;

    private final TransportProperties transport;
    private final TlsMaterial tls;
    private final AuthProperties auth;
    private final Optional<InternalToken> token;
    private final GrpcTracing tracing;

    public GrpcServerFactory(TransportProperties transport, TlsMaterial tls, AuthProperties auth,
            Optional<InternalToken> token) {
        this(transport, tls, auth, token, GrpcTracing.off());
    }

    public GrpcServerFactory(TransportProperties transport, TlsMaterial tls, AuthProperties auth,
            Optional<InternalToken> token, GrpcTracing tracing) {
        this.transport = transport;
        this.tls = tls;
        this.auth = auth;
        this.token = token;
        this.tracing = tracing;
    }

    /**
     * A server for untrusted callers (the gateway's API): TLS when configured, never a client
     * certificate, no internal token (the service authenticates its callers itself).
     */
    public NettyServerBuilder publicServer(int port, int defaultMaxInboundBytes, Duration drainTimeout) {
        return limits(NettyServerBuilder.forAddress(address(port), credentials(false)), defaultMaxInboundBytes,
                drainTimeout).intercept(tracing.serverSpans());
    }

    /**
     * A server for the mesh's own services. Refuses (IllegalStateException) unless the internal
     * token, mTLS or {@code moemesh.auth.allow-unauthenticated} is configured.
     *
     * @param service         the service's name, for the start-up messages
     * @param mutatingMethods full method names only {@code moemesh.auth.mutating-peers} may call under mTLS
     */
    public NettyServerBuilder internalServer(String service, int port, int defaultMaxInboundBytes,
            Duration drainTimeout, Set<String> mutatingMethods) {
        return internalServer(service, port, defaultMaxInboundBytes, drainTimeout, mutatingMethods, 0);
    }

    /**
     * An {@link #internalServer(String, int, int, Duration, Set) internal server} whose callers (other
     * services, authenticated) send many calls over one connection: it lets one connection open at
     * least {@code minConcurrentCallsPerConnection} streams, what the service holds at once, whatever
     * {@code moemesh.transport.max-concurrent-calls-per-connection} says, so that calls beyond the
     * configured limit are not held in the caller's client, unseen by the service's own queueing.
     */
    public NettyServerBuilder internalServer(String service, int port, int defaultMaxInboundBytes,
            Duration drainTimeout, Set<String> mutatingMethods, int minConcurrentCallsPerConnection) {
        InternalAuthRule.check(service, auth, tls.properties(), token.isPresent());
        NettyServerBuilder builder = limits(NettyServerBuilder.forAddress(address(port), credentials(true)),
                defaultMaxInboundBytes, drainTimeout)
                .maxConcurrentCallsPerConnection(transport.maxConcurrentCallsPerConnection(
                        minConcurrentCallsPerConnection));
        // ServerBuilder.intercept: the last added runs first, so the token is checked before the identity
        if (tls.properties().mutualTls() && !mutatingMethods.isEmpty()) {
            if (auth.mutatingPeers().isEmpty()) {
                LOG.warn("{}: moemesh.auth.mutating-peers is empty: every caller with a certificate of the CA may call"
                        + " {}", service, mutatingMethods);
            } else {
                builder.intercept(new PeerIdentityInterceptor(mutatingMethods, auth.mutatingPeers()));
            }
        }
        token.ifPresent(t -> builder.intercept(new InternalTokenInterceptor(t)));
        if (tls.properties().mutualTls()) {
            builder.intercept(new InternalCaller.FromCertificate()); // handlers see who called
        }
        // outermost: refused calls are traced too; only calls that are part of a trace
        return builder.intercept(tracing.continuedServerSpans());
    }

    /**
     * Whether internal servers authenticate every caller (the internal token, or mTLS), so that
     * {@link InternalCaller} names the caller of each of their calls; false only in
     * {@code moemesh.auth.allow-unauthenticated} mode.
     */
    public boolean authenticatesInternalCallers() {
        return token.isPresent() || tls.properties().mutualTls();
    }

    /**
     * The plaintext health-only server of {@code moemesh.transport.health-port}, if set: give it to
     * the service's {@link io.moemesh.service.GrpcServerLifecycle#plaintextHealth}. It carries no
     * credentials and serves nothing but {@code grpc.health.v1}, so probes that cannot speak TLS
     * (kubelet's grpc probe) still see the service's health.
     */
    public Optional<NettyServerBuilder> healthServer() {
        if (transport.healthPort() == null) {
            return Optional.empty();
        }
        return Optional.of(limits(NettyServerBuilder.forAddress(address(transport.healthPort()),
                InsecureServerCredentials.create()), HEALTH_MAX_INBOUND_BYTES, java.time.Duration.ZERO));
    }

    /**
     * The address servers bind, for a port: without a bind address the JVM's wildcard, which listens
     * on IPv4 and IPv6 where the host has IPv6, without relying on how 0.0.0.0 is mapped.
     */
    public InetSocketAddress address(int port) {
        String bind = transport.bindAddress();
        return bind == null ? new InetSocketAddress(port) : new InetSocketAddress(bind, port);
    }

    /** Where this process reaches its own server: loopback unless the bind address is a specific one. */
    public String loopbackTarget(int port) {
        String bind = transport.bindAddress();
        boolean wildcard = bind == null || bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]");
        String host = wildcard ? "127.0.0.1" : bind.contains(":") && !bind.startsWith("[") ? "[" + bind + "]" : bind;
        return host + ":" + port;
    }

    private ServerCredentials credentials(boolean internal) {
        if (!tls.properties().serverTls()) {
            return InsecureServerCredentials.create();
        }
        TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(tls.identity());
        if (internal && tls.properties().mutualTls()) {
            builder.trustManager(tls.chainTrust()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return builder.build();
    }

    private NettyServerBuilder limits(NettyServerBuilder builder, int defaultMaxInboundBytes, Duration drainTimeout) {
        builder.maxInboundMessageSize(transport.maxInboundMessageBytes(defaultMaxInboundBytes))
                .maxConcurrentCallsPerConnection(transport.maxConcurrentCallsPerConnection())
                .maxConnectionIdle(transport.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(transport.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS);
        if (transport.maxRstFramesPerWindow() > 0) {
            builder.maxRstFramesPerWindow(transport.maxRstFramesPerWindow(), (int) transport.rstWindow().toSeconds());
        }
        if (transport.maxConnectionAge().isPositive()) {
            builder.maxConnectionAge(transport.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace((transport.maxConnectionAgeGrace() == null ? drainTimeout
                            : transport.maxConnectionAgeGrace()).toMillis(), TimeUnit.MILLISECONDS);
        }
        return builder;
    }
}
