package io.moemesh.cli.network;

/**
 * One direction of a network link: chunks are serialized onto it one after another, first come
 * first served, so every connection that crosses it shares its bandwidth.
 */
final class Link {

    private long busyUntil = Long.MIN_VALUE;

    /**
     * Puts a chunk that is ready at {@code readyAt} on the link for {@code nanos}; returns when its
     * last bit has left (at {@code readyAt + nanos} on an idle link, later behind earlier chunks).
     */
    synchronized long transmit(long readyAt, long nanos) {
        long start = busyUntil == Long.MIN_VALUE ? readyAt : Math.max(readyAt, busyUntil);
        busyUntil = start + nanos;
        return busyUntil;
    }
}
