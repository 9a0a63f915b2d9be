package io.moemesh.router.dispatch;

import io.moemesh.proto.internal.v1.DescribeResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One switch to a new set of endpoints ({@link RemoteExperts#reconcile}): {@link #apply} turns the
 * current routing into the routing over the wanted endpoints, and remembers which clients it opened,
 * kept and dropped, so that the caller can close each at the right time. {@code apply} runs once,
 * under {@link LiveTopology}'s replacement lock, before the new routing is installed.
 *
 * <p>An endpoint is the same endpoint when id and target are both the same: a pod that kept its name
 * but moved to another address gets a new client, and the old one is dropped.
 */
final class EndpointSetChange {

    private static final Logger LOG = LoggerFactory.getLogger(EndpointSetChange.class);

    private final List<ExpertEndpoint> wanted;
    private final ExpertConnections connections;
    private final List<ExpertClient> opened = new ArrayList<>();
    private final List<ExpertClient> unused = new ArrayList<>(); // opened, then rejected: never installed
    private final List<ExpertEndpoint> rejected = new ArrayList<>();
    private List<ExpertClient> removedClients = List.of();
    private List<ExpertEndpoint> added = List.of();

    EndpointSetChange(List<ExpertEndpoint> wanted, ExpertConnections connections) {
        this.wanted = List.copyOf(wanted);
        this.connections = connections;
    }

    /**
     * Opens clients for new endpoints and asks them, and kept endpoints that never answered, what they
     * host; endpoints that answer with another model are left out.
     */
    Routing apply(Routing current) {
        Map<ExpertEndpoint, ExpertClient> existing = new HashMap<>();
        current.clients().forEach(c -> existing.put(c.endpoint(), c));
        List<ExpertClient> candidates = new ArrayList<>();
        List<ExpertClient> ask = new ArrayList<>();
        for (ExpertEndpoint e : wanted) {
            ExpertClient client = existing.get(e);
            if (client == null) {
                client = connections.open(e);
                opened.add(client);
                ask.add(client);
            } else if (current.topology().description(e.id()).isEmpty()) {
                ask.add(client);
            }
            candidates.add(client);
        }
        Map<String, DescribeResponse> answers = ExpertTopology.describe(ask, Map.of());
        Map<String, DescribeResponse> descriptions = new HashMap<>();
        List<ExpertClient> clients = new ArrayList<>();
        for (ExpertClient c : candidates) {
            String id = c.endpoint().id();
            DescribeResponse answer = answers.get(id);
            if (answer != null && !compatible(current.topology(), c, answer)) {
                continue;
            }
            DescribeResponse description = answer != null ? answer
                    : opened.contains(c) ? null : current.topology().description(id).orElse(null);
            if (description != null) {
                descriptions.put(id, description);
            }
            clients.add(c);
        }
        Set<ExpertClient> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(clients);
        removedClients = current.clients().stream().filter(c -> !kept.contains(c)).toList();
        added = clients.stream().filter(opened::contains).map(ExpertClient::endpoint).toList();
        return new Routing(clients, current.topology().over(
                clients.stream().map(c -> c.endpoint().id()).toList(), descriptions));
    }

    private boolean compatible(ExpertTopology topology, ExpertClient client, DescribeResponse answer) {
        try {
            topology.checkCompatible(client.endpoint().id(), answer);
            return true;
        } catch (IncompatibleEndpointException e) {
            LOG.error("leaving out expert endpoint {} ({}): {}", client.endpoint().id(), client.endpoint().target(),
                    e.getMessage());
            rejected.add(client.endpoint());
            if (opened.contains(client)) {
                unused.add(client);
            }
            return false;
        }
    }

    static void requireUniqueIds(List<ExpertEndpoint> endpoints) {
        Set<String> ids = new HashSet<>();
        for (ExpertEndpoint e : endpoints) {
            if (!ids.add(e.id())) {
                throw new IllegalArgumentException("expert endpoint id " + e.id() + " appears twice: ids must be"
                        + " unique (pod name, or host:port)");
            }
        }
    }

    List<ExpertEndpoint> added() {
        return added;
    }

    List<ExpertEndpoint> removed() {
        return removedClients.stream().map(ExpertClient::endpoint).toList();
    }

    List<ExpertEndpoint> rejected() {
        return List.copyOf(rejected);
    }

    /** Clients of endpoints the new routing dropped: steps on the old routing may still be using them. */
    List<ExpertClient> removedClients() {
        return removedClients;
    }

    /** Clients opened for endpoints that were then rejected: no routing ever held them. */
    void closeUnused() {
        unused.forEach(ExpertClient::close);
    }

    /** When the switch failed before anything was installed. */
    void closeOpened() {
        opened.forEach(ExpertClient::close);
    }

    /** "added [a], removed [b], rejected []", by endpoint id. */
    @Override
    public String toString() {
        return "added " + ids(added()) + ", removed " + ids(removed()) + ", rejected " + ids(rejected());
    }

    private static List<String> ids(List<ExpertEndpoint> endpoints) {
        return endpoints.stream().map(ExpertEndpoint::id).toList();
    }
}
