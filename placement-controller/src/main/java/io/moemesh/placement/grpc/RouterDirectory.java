package io.moemesh.placement.grpc;

import io.moemesh.placement.round.RouterSource;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The routers named by {@code moemesh.controller.routers}, found anew for every round: a
 * {@code host:port} entry is one router; a {@code dns:///host:port} entry is every address the host
 * name resolves to (the chart's headless router Service: one A/AAAA record per ready router pod).
 * A client is kept per address while the address is found and closed once it is not; a name that
 * does not resolve is reported to the round, which names it in its decision.
 *
 * <p>Channels to pod addresses are made with the name as their authority ({@link Connector}), so
 * that under TLS the router's certificate is checked against the Service name it carries, not
 * against an address no certificate names.
 */
public final class RouterDirectory implements RouterSource, AutoCloseable {

    /** The scheme of an entry whose every DNS address is a router. */
    public static final String DNS_SCHEME = "dns:///";

    /** Looks up every address of a host name (the JDK's resolver in production; its cache is 30 s by default). */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> addresses(String host) throws UnknownHostException;

        Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));
    }

    /** Makes the client of one router at {@code address} ({@code ip:port}), verified as {@code authority} when non-null. */
    @FunctionalInterface
    public interface Connector {
        RouterClient connect(String address, String authority);
    }

    private final List<String> entries;
    private final Resolver resolver;
    private final Connector connector;
    private final Map<String, RouterClient> clients = new LinkedHashMap<>(); // guarded by this

    public RouterDirectory(List<String> entries, Resolver resolver, Connector connector) {
        this.entries = List.copyOf(entries);
        this.resolver = resolver;
        this.connector = connector;
    }

    /** Whether {@code entry} names a DNS name to expand ({@code dns:///host:port}). */
    public static boolean discovers(String entry) {
        return entry.startsWith(DNS_SCHEME);
    }

    @Override
    public synchronized Routers routers() {
        List<String> problems = new ArrayList<>();
        return new Routers(List.copyOf(lookUp(problems)), problems);
    }

    /** The routers found now, as clients (the dashboard reads them with its own deadline). */
    public synchronized List<RouterClient> clients() {
        return lookUp(new ArrayList<>());
    }

    private List<RouterClient> lookUp(List<String> problems) {
        List<RouterClient> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String entry : entries) {
            if (!discovers(entry)) {
                found.add(client(entry, null, seen));
                continue;
            }
            String hostPort = entry.substring(DNS_SCHEME.length());
            int colon = hostPort.lastIndexOf(':');
            String host = hostPort.substring(0, colon);
            String port = hostPort.substring(colon + 1);
            try {
                List<InetAddress> addresses = resolver.addresses(host);
                if (addresses.isEmpty()) {
                    problems.add("no router found at " + entry + ": the name has no addresses (no router pod ready?)");
                }
                for (InetAddress a : addresses) {
                    found.add(client(address(a, port), host, seen));
                }
            } catch (UnknownHostException e) {
                problems.add("no router found at " + entry + ": " + host + " does not resolve (no router pod ready,"
                        + " or the headless Service is missing)");
            }
        }
        clients.entrySet().removeIf(e -> {
            boolean gone = !seen.contains(e.getKey());
            if (gone) {
                e.getValue().close();
            }
            return gone;
        });
        return found;
    }

    private RouterClient client(String address, String authority, Set<String> seen) {
        seen.add(address);
        return clients.computeIfAbsent(address, a -> connector.connect(a, authority));
    }

    private static String address(InetAddress a, String port) {
        String ip = a.getHostAddress();
        return (a instanceof Inet6Address ? "[" + ip + "]" : ip) + ":" + port;
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(RouterClient::close);
        clients.clear();
    }
}
