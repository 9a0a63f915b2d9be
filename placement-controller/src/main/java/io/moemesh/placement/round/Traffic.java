package io.moemesh.placement.round;

/**
 * A router's cumulative dispatch counters (RoutingStats.traffic): the difference of two readings
 * gives the remote calls and bytes per token per layer that really happened.
 */
public record Traffic(long tokenSends, long tokenLayers, long bytes) {

    public static final Traffic NONE = new Traffic(0, 0, 0);

    public Traffic plus(Traffic o) {
        return new Traffic(tokenSends + o.tokenSends, tokenLayers + o.tokenLayers, bytes + o.bytes);
    }

    public Traffic minus(Traffic o) {
        return new Traffic(tokenSends - o.tokenSends, tokenLayers - o.tokenLayers, bytes - o.bytes);
    }

    public double callsPerToken() {
        return tokenLayers <= 0 ? 0 : tokenSends / (double) tokenLayers;
    }

    public double bytesPerToken() {
        return tokenLayers <= 0 ? 0 : bytes / (double) tokenLayers;
    }
}
