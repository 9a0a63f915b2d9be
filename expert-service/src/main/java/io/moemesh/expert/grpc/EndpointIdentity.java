package io.moemesh.expert.grpc;

/**
 * This replica's stable id as {@code Describe} reports it: the configured one, else
 * {@code host:port} once the server has bound its port (which may be random).
 */
public final class EndpointIdentity {

    private final String configured;
    private final String host;
    private volatile int port = -1;

    public EndpointIdentity(String configured, String host) {
        this.configured = configured;
        this.host = host;
    }

    public void bound(int boundPort) {
        this.port = boundPort;
    }

    public int port() {
        return port;
    }

    public String id() {
        return configured != null && !configured.isBlank() ? configured : host + ":" + port;
    }
}
