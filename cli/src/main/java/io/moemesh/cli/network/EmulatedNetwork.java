package io.moemesh.cli.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;

/**
 * A user-space network between the router and its expert endpoints: one TCP proxy per endpoint that
 * delays and paces the bytes both ways as {@link NetworkProfile} says. The gRPC stacks on either side
 * are untouched; only the time bytes take between them changes. It exists because this machine's
 * kernel has no traffic-control qdiscs ({@code tc qdisc ... netem} is refused), and it is what
 * {@code moe up --emulate-network} and the placement benchmarks put between the router and the experts.
 *
 * <p>What it models: propagation (rtt/2 each way), jitter per chunk, serialization at the link
 * bandwidth with queueing behind other connections' chunks on the router's link and on each node's
 * link, in-order delivery per connection (a late chunk holds back later ones), and backpressure (a
 * connection holds at most {@link Pipe#MAX_CHUNKS_IN_FLIGHT} chunks in flight, then stops reading).
 * What it does not: packet loss and retransmission, TCP slow start and congestion windows, MTU
 * framing, calls between endpoints, an endpoint on the router's own node. Every proxied connection
 * costs two loopback hops and four threads; profile {@code none} measures that by itself.
 */
public final class EmulatedNetwork implements AutoCloseable {

    /** An endpoint reached through the network: listen on {@code listenPort}, forward to {@code target}. */
    public record Route(int listenPort, InetSocketAddress target) {
    }

    private final List<Route> routes;
    private final InetAddress bindAddress;
    private final RandomGenerator random;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final Link routerOut = new Link();
    private final Link routerIn = new Link();
    private final Map<Integer, Link[]> nodeLinks = new ConcurrentHashMap<>();
    private volatile NetworkProfile profile;
    private volatile DelayStats stats = new DelayStats();

    public EmulatedNetwork(List<Route> routes, InetAddress bindAddress, NetworkProfile profile, RandomGenerator random) {
        this.routes = List.copyOf(routes);
        this.bindAddress = bindAddress;
        this.profile = profile;
        this.random = random;
    }

    /** Binds every route's port and starts accepting; a port that is taken fails the whole start. */
    public EmulatedNetwork start() {
        try {
            for (int i = 0; i < routes.size(); i++) {
                Route route = routes.get(i);
                ServerSocket listener = new ServerSocket(route.listenPort(), 64, bindAddress);
                listeners.add(listener);
                int endpoint = i;
                Thread acceptor = Thread.ofPlatform().daemon().name("netem-accept-" + route.listenPort())
                        .start(() -> accept(listener, route, endpoint));
                acceptors.add(acceptor);
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("emulated network: cannot listen: " + e.getMessage(), e);
        }
        return this;
    }

    /** Applies to chunks read from now on; the delivery statistics start over. */
    public void profile(NetworkProfile next) {
        profile = next;
        stats = new DelayStats();
    }

    public NetworkProfile profile() {
        return profile;
    }

    /** One line for the profile in force: its spelling, then {@link DelayStats#summary}. */
    public String report() {
        return "profile=" + profile.spell() + " connections=" + connections.size() + " " + stats.summary();
    }

    DelayStats stats() {
        return stats;
    }

    /** The port each route listens on, in route order (those asked for; 0 picks a free one). */
    public List<Integer> ports() {
        return listeners.stream().map(ServerSocket::getLocalPort).toList();
    }

    private void accept(ServerSocket listener, Route route, int endpoint) {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                Socket server = new Socket();
                server.setTcpNoDelay(true);
                server.connect(route.target(), 5_000);
                client.setTcpNoDelay(true);
                Connection c = new Connection(this, client, server, endpoint);
                connections.add(c);
                c.start();
            } catch (IOException e) {
                closeQuietly(client); // the endpoint is down: the caller sees its connection refused as a reset
            }
        }
    }

    /** When a chunk read now would be due at the far side of its pipe ({@code toEndpoint}: router to expert). */
    long dueAt(long readAt, int bytes, int endpoint, boolean toEndpoint) {
        NetworkProfile p = profile;
        Link[] node = nodeLinks.computeIfAbsent(endpoint / p.endpointsPerNode(), n -> new Link[] {new Link(), new Link()});
        long wire = p.serializationNanos(bytes);
        long sent = toEndpoint ? node[0].transmit(routerOut.transmit(readAt, wire), wire)
                : routerIn.transmit(node[1].transmit(readAt, wire), wire);
        double jitter = p.jitterNanos() == 0 ? 0 : -p.jitterNanos() * Math.log(1 - nextDouble());
        return sent + p.rttNanos() / 2 + Math.round(jitter);
    }

    private double nextDouble() {
        synchronized (random) {
            return random.nextDouble();
        }
    }

    void delivered(int bytes, long due, long late) {
        stats.record(bytes, due, late);
    }

    void closed(Connection c) {
        connections.remove(c);
    }

    @Override
    public void close() {
        listeners.forEach(EmulatedNetwork::closeQuietly);
        connections.forEach(Connection::close);
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing on the way out: nothing left to tell
        }
    }
}
