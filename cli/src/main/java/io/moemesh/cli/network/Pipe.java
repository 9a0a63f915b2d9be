package io.moemesh.cli.network;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * One direction of a proxied connection: a reader that stamps each chunk with the time it is due
 * at the far side, and a writer that hands it over then. Due times never go backwards, so bytes
 * arrive in order, as over TCP.
 *
 * <p>The writer parks until a chunk is due. A parked thread wakes late (Linux's 50 µs timer slack,
 * other threads on the core), which at a 100 µs round trip would be most of it, so it wakes
 * {@code lead} early and learns {@code lead} from how late it came out (an exponentially weighted
 * mean, at most half the one-way delay): it aims at on time on average, not at never early.
 */
final class Pipe {

    /** Chunks read but not yet delivered before the reader stops reading: TCP's window, roughly. */
    static final int MAX_CHUNKS_IN_FLIGHT = 64;
    private static final int CHUNK_BYTES = 16 * 1024;
    private static final long MAX_LEAD_NANOS = 200_000;

    private record Chunk(byte[] bytes, long readAt, long dueAt) {
        static final Chunk END = new Chunk(new byte[0], 0, 0);
    }

    private final EmulatedNetwork network;
    private final Connection connection;
    private final InputStream in;
    private final OutputStream out;
    private final int endpoint;
    private final boolean toEndpoint;
    private final BlockingQueue<Chunk> inFlight = new ArrayBlockingQueue<>(MAX_CHUNKS_IN_FLIGHT);
    private long lastDue = Long.MIN_VALUE;
    private long leadNanos;

    Pipe(EmulatedNetwork network, Connection connection, InputStream in, OutputStream out, int endpoint,
            boolean toEndpoint) {
        this.network = network;
        this.connection = connection;
        this.in = in;
        this.out = out;
        this.endpoint = endpoint;
        this.toEndpoint = toEndpoint;
    }

    /** Reads until end of stream, then queues the end; an I/O error closes the whole connection. */
    void read() {
        byte[] buffer = new byte[CHUNK_BYTES];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                long now = System.nanoTime();
                long due = network.dueAt(now, n, endpoint, toEndpoint);
                lastDue = lastDue == Long.MIN_VALUE ? due : Math.max(lastDue, due);
                inFlight.put(new Chunk(Arrays.copyOf(buffer, n), now, lastDue));
            }
            inFlight.put(Chunk.END);
        } catch (IOException e) {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Delivers each chunk when it is due; after the end, half-closes the far side. */
    void write(Runnable onEnd) {
        try {
            while (true) {
                Chunk c = inFlight.take();
                if (c == Chunk.END) {
                    onEnd.run();
                    return;
                }
                awaitDue(c.dueAt());
                out.write(c.bytes());
                long now = System.nanoTime();
                network.delivered(c.bytes().length, c.dueAt() - c.readAt(), now - c.dueAt());
            }
        } catch (IOException e) {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitDue(long dueAt) throws InterruptedException {
        long wait = dueAt - leadNanos - System.nanoTime();
        if (wait <= 0) {
            return; // already due (queued behind a slower chunk, or no delay at all)
        }
        long intended = dueAt - leadNanos;
        while (System.nanoTime() < intended) {
            LockSupport.parkNanos(intended - System.nanoTime());
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        long late = System.nanoTime() - dueAt;
        long cap = Math.min(MAX_LEAD_NANOS, network.profile().rttNanos() / 4);
        leadNanos = Math.clamp(leadNanos + late / 8, 0, cap);
    }
}
