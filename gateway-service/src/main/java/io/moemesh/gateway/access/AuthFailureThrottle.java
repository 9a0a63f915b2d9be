package io.moemesh.gateway.access;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Failed authentications per peer in fixed windows: a peer's first failure opens a window; once it
 * holds {@code maxPerWindow} failures, the peer is refused until the window ends, without its key
 * being looked at (so guessing costs a window per {@code maxPerWindow} guesses). At most
 * {@code maxPeers} windows are kept: windows sit in the order they opened, ended ones are dropped
 * from the front as new ones open, and when the table is full the oldest window goes. A flood from
 * many addresses therefore costs bounded memory; it can push out an older window early, which only
 * lets that peer guess again sooner.
 */
public final class AuthFailureThrottle {

    private final int maxPerWindow;
    private final long windowNanos;
    private final int maxPeers;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new LinkedHashMap<>();

    public AuthFailureThrottle(int maxPerWindow, Duration window, int maxPeers, LongSupplier nanoTime) {
        this.maxPerWindow = maxPerWindow;
        this.windowNanos = window.toNanos();
        this.maxPeers = maxPeers;
        this.nanoTime = nanoTime;
    }

    /** How long {@code peer} is still refused; zero when it may try. */
    public synchronized Duration refusedFor(String peer) {
        Window window = windows.get(peer);
        if (window == null || window.failures < maxPerWindow) {
            return Duration.ZERO;
        }
        long remaining = window.start + windowNanos - nanoTime.getAsLong();
        if (remaining <= 0) {
            windows.remove(peer);
            return Duration.ZERO;
        }
        return Duration.ofNanos(remaining);
    }

    /** Counts a failure of {@code peer}; returns the failures in its current window, this one included. */
    public synchronized int failed(String peer) {
        long now = nanoTime.getAsLong();
        Window window = windows.get(peer);
        if (window == null || now - window.start >= windowNanos) {
            windows.remove(peer);
            dropEnded(now);
            window = new Window(now);
            windows.put(peer, window);
        }
        return ++window.failures;
    }

    synchronized int trackedPeers() {
        return windows.size();
    }

    private void dropEnded(long now) {
        Iterator<Window> oldestFirst = windows.values().iterator();
        while (oldestFirst.hasNext()) {
            Window oldest = oldestFirst.next();
            if (now - oldest.start < windowNanos && windows.size() < maxPeers) {
                return;
            }
            oldestFirst.remove();
        }
    }

    private static final class Window {
        final long start;
        int failures;

        Window(long start) {
            this.start = start;
        }
    }
}
