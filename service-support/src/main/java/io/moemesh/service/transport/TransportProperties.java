package io.moemesh.service.transport;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code moemesh.transport.*}: where every gRPC server of a service listens and the HTTP/2 limits
 * that keep one client from holding its resources (issue 16, items 2 and 5).
 *
 * @param bindAddress                    address every gRPC server binds; unset (or blank) = the JVM's wildcard,
 *                                       every address of every family (dual-stack where the host has IPv6, so
 *                                       IPv6-only clusters work). {@code 0.0.0.0} names IPv4; the JDK and Netty
 *                                       happen to bind it as the IPv6 wildcard on a dual-stack Linux host, but
 *                                       unset does not depend on that. Spring's {@code server.address} follows it
 *                                       unless set (unset: all addresses)
 * @param maxInboundMessageSize          largest inbound message; unset = the service's own default, sized
 *                                       from what it legitimately receives
 * @param maxConcurrentCallsPerConnection HTTP/2 concurrent streams one connection may open; more wait in the
 *                                       client. Internal servers whose callers multiplex many requests over one
 *                                       connection raise it to what the service holds (the router's public
 *                                       server: its max-queued-requests + max-running-sequences, because a
 *                                       gateway reaches it over one connection and the router's per-caller fair
 *                                       queue must see every request), see
 *                                       {@link #maxConcurrentCallsPerConnection(int)}
 * @param maxConnectionIdle              a connection without calls this long is closed (GOAWAY)
 * @param maxConnectionAge               connections older than this are closed gracefully (0 = never): the
 *                                       client gets a GOAWAY and reconnects, resolving the server's name
 *                                       again, which is how gateways behind a headless router Service find
 *                                       routers that were added (docs/kubernetes.md, "Router fan-in")
 * @param maxConnectionAgeGrace          how long calls already running on such a connection may still take
 *                                       (unset = the service's drain timeout); new calls use a new connection
 *                                       at once, so give it the longest call you serve (a generation)
 * @param permitKeepAliveTime            clients pinging more often are sent ENHANCE_YOUR_CALM and closed
 * @param maxRstFramesPerWindow          HTTP/2 rapid-reset guard: RST_STREAM frames a connection may send per
 *                                       {@code rstWindow} before it is closed (0 = off)
 * @param rstWindow                      the window of that count, whole seconds
 * @param healthPort                     a plaintext port serving only {@code grpc.health.v1} (unset = none): for
 *                                       probes that cannot speak TLS (Kubernetes' grpc probes) when the service's
 *                                       servers do
 */
@ConfigurationProperties("moemesh.transport")
public record TransportProperties(
        String bindAddress,
        DataSize maxInboundMessageSize,
        @DefaultValue("128") int maxConcurrentCallsPerConnection,
        @DefaultValue("15m") Duration maxConnectionIdle,
        @DefaultValue("0") Duration maxConnectionAge,
        Duration maxConnectionAgeGrace,
        @DefaultValue("20s") Duration permitKeepAliveTime,
        @DefaultValue("200") int maxRstFramesPerWindow,
        @DefaultValue("10s") Duration rstWindow,
        Integer healthPort) {

    public TransportProperties {
        bindAddress = bindAddress == null || bindAddress.isBlank() ? null : bindAddress.strip();
        if (maxInboundMessageSize != null
                && (maxInboundMessageSize.toBytes() < 1 || maxInboundMessageSize.toBytes() > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("moemesh.transport.max-inbound-message-size must be between 1B and 2GB,"
                    + " got " + maxInboundMessageSize);
        }
        if (maxConcurrentCallsPerConnection < 1) {
            throw new IllegalArgumentException("moemesh.transport.max-concurrent-calls-per-connection must be >= 1, got "
                    + maxConcurrentCallsPerConnection);
        }
        if (!maxConnectionIdle.isPositive() || maxConnectionAge.isNegative() || !permitKeepAliveTime.isPositive()) {
            throw new IllegalArgumentException("moemesh.transport.max-connection-idle and permit-keep-alive-time must be"
                    + " positive and max-connection-age not negative, got " + maxConnectionIdle + ", "
                    + permitKeepAliveTime + " and " + maxConnectionAge);
        }
        if (maxConnectionAgeGrace != null && maxConnectionAgeGrace.isNegative()) {
            throw new IllegalArgumentException("moemesh.transport.max-connection-age-grace must not be negative, got "
                    + maxConnectionAgeGrace);
        }
        if (healthPort != null && (healthPort < 0 || healthPort > 65535)) {
            throw new IllegalArgumentException("moemesh.transport.health-port must be 0..65535, got " + healthPort);
        }
        if (maxRstFramesPerWindow < 0 || rstWindow.toSeconds() < 1) {
            throw new IllegalArgumentException("moemesh.transport.max-rst-frames-per-window must be >= 0 and rst-window"
                    + " at least 1s, got " + maxRstFramesPerWindow + " and " + rstWindow);
        }
    }

    /** Defaults everywhere, bound to {@code bindAddress} (null: every address): for tests and tools outside Spring. */
    public static TransportProperties defaults(String bindAddress) {
        return new TransportProperties(bindAddress, null, 128, Duration.ofMinutes(15), Duration.ZERO, null,
                Duration.ofSeconds(20), 200, Duration.ofSeconds(10), null);
    }

    /**
     * The streams one connection may open on a server whose service holds {@code floor} calls at once:
     * the configured limit, raised to {@code floor} so that no caller's calls wait in its own
     * connection while the service could take them.
     */
    public int maxConcurrentCallsPerConnection(int floor) {
        return Math.max(maxConcurrentCallsPerConnection, floor);
    }

    /** The configured inbound limit, else {@code serviceDefault}. */
    public int maxInboundMessageBytes(int serviceDefault) {
        return maxInboundMessageSize == null ? serviceDefault : (int) maxInboundMessageSize.toBytes();
    }
}
