package io.moemesh.cli.network;

import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client connection and the connection to its endpoint, with a {@link Pipe} each way. An end of
 * stream is passed on as a half-close once the bytes before it are delivered; the connection closes
 * when both directions have ended, or at once when either side fails (both sockets close, and the
 * four threads stop).
 */
final class Connection implements AutoCloseable {

    private final EmulatedNetwork network;
    private final Socket client;
    private final Socket server;
    private final Pipe up;
    private final Pipe down;
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile List<Thread> threads = List.of();

    Connection(EmulatedNetwork network, Socket client, Socket server, int endpoint) throws IOException {
        this.network = network;
        this.client = client;
        this.server = server;
        this.up = new Pipe(network, this, client.getInputStream(), server.getOutputStream(), endpoint, true);
        this.down = new Pipe(network, this, server.getInputStream(), client.getOutputStream(), endpoint, false);
    }

    void start() {
        String name = "netem-" + client.getPort() + "-" + server.getPort();
        threads = List.of(
                Thread.ofPlatform().daemon().name(name + "-up-read").start(up::read),
                Thread.ofPlatform().daemon().name(name + "-up-write").start(() -> up.write(() -> halfClose(server))),
                Thread.ofPlatform().daemon().name(name + "-down-read").start(down::read),
                Thread.ofPlatform().daemon().name(name + "-down-write").start(() -> down.write(() -> halfClose(client))));
    }

    private void halfClose(Socket s) {
        try {
            s.shutdownOutput();
        } catch (IOException e) {
            close();
            return;
        }
        if (ended.incrementAndGet() == 2) {
            close();
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        EmulatedNetwork.closeQuietly(client);
        EmulatedNetwork.closeQuietly(server);
        threads.stream().filter(t -> t != Thread.currentThread()).forEach(Thread::interrupt);
        network.closed(this);
    }
}
