package io.moemesh.placement.round;

/**
 * One expert endpoint's calls as one router counts them, cumulative (EndpointCalls). The latency
 * histogram: {@code counts[i]} calls took at most {@code boundsMicros[i]} (and more than the bound
 * before); the last count, one longer than the bounds, holds the slower calls. Both are empty when
 * the router sent no histogram. Arrays are owned by the record.
 */
public record EndpointCounters(String endpoint, String target, long calls, long failed, long refused,
        long latencyNanos, long[] boundsMicros, long[] counts, boolean accepting) {

    public EndpointCounters {
        if (counts.length != 0 && counts.length != boundsMicros.length + 1) {
            throw new IllegalArgumentException("a latency histogram holds one count more than its bounds, got "
                    + counts.length + " counts for " + boundsMicros.length + " bounds");
        }
    }

    /** The router's key for it: its id, or the address it dials when it has none. */
    public String key() {
        return endpoint.isEmpty() ? target : endpoint;
    }
}
