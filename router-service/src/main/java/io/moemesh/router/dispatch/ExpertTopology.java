package io.moemesh.router.dispatch;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.Uninterruptibles;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.Unit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which endpoints host which units, as the endpoints themselves describe it: an immutable snapshot,
 * replaced as a whole when the router asks them again ({@link LiveTopology}). A unit no endpoint
 * hosts is simply unavailable: the router still serves, degraded, instead of refusing to start.
 * Descriptions are kept by endpoint id, not by position, so that endpoints joining or leaving
 * (Kubernetes discovery) keep what they said before.
 */
public final class ExpertTopology {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertTopology.class);

    private final int hiddenSize;
    private final int numExperts;
    private final Map<String, DescribeResponse> descriptions; // by endpoint id; absent: never answered
    private final int[][][] hosts; // [layer][expert] -> endpoint indices

    private ExpertTopology(int hiddenSize, int numExperts, Map<String, DescribeResponse> descriptions,
            int[][][] hosts) {
        this.hiddenSize = hiddenSize;
        this.numExperts = numExperts;
        this.descriptions = descriptions;
        this.hosts = hosts;
    }

    /**
     * Asks every endpoint what it hosts ({@code Describe}); one that does not answer hosts nothing.
     *
     * @throws IncompatibleEndpointException when an endpoint serves another model
     */
    static ExpertTopology discover(List<ExpertClient> clients, int numLayers, int numExperts, int hiddenSize) {
        return of(ids(clients), describe(clients, Map.of()), numLayers, numExperts, hiddenSize);
    }

    /**
     * Asks every endpoint again; one that does not answer keeps the description it gave before (a
     * warning is logged), or hosts nothing if it never answered.
     *
     * @throws IncompatibleEndpointException when an endpoint now serves another model
     */
    ExpertTopology rediscover(List<ExpertClient> clients) {
        return of(ids(clients), describe(clients, descriptions), hosts.length, numExperts, hiddenSize);
    }

    /**
     * The topology these descriptions make over other endpoints, for the same model: endpoint {@code i}
     * of {@code endpointIds} hosts the units its description lists.
     *
     * @throws IncompatibleEndpointException when a description does not fit the model
     */
    ExpertTopology over(List<String> endpointIds, Map<String, DescribeResponse> descriptions) {
        return of(endpointIds, descriptions, hosts.length, numExperts, hiddenSize);
    }

    /**
     * The topology these descriptions make: endpoint {@code i} of {@code endpointIds} hosts the units
     * its description lists.
     */
    static ExpertTopology of(List<String> endpointIds, Map<String, DescribeResponse> descriptions, int numLayers,
            int numExperts, int hiddenSize) {
        List<List<List<Integer>>> lists = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            List<List<Integer>> layer = new ArrayList<>();
            for (int e = 0; e < numExperts; e++) {
                layer.add(new ArrayList<>());
            }
            lists.add(layer);
        }
        for (int i = 0; i < endpointIds.size(); i++) {
            DescribeResponse d = descriptions.get(endpointIds.get(i));
            if (d == null) {
                continue;
            }
            checkCompatible(endpointIds.get(i), d, numLayers, numExperts, hiddenSize);
            for (Unit u : d.getUnitsList()) {
                lists.get(u.getLayer()).get(u.getExpert()).add(i);
            }
        }
        int[][][] hosts = new int[numLayers][numExperts][];
        for (int l = 0; l < numLayers; l++) {
            for (int e = 0; e < numExperts; e++) {
                hosts[l][e] = lists.get(l).get(e).stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return new ExpertTopology(hiddenSize, numExperts, Map.copyOf(descriptions), hosts);
    }

    private static List<String> ids(List<ExpertClient> clients) {
        return clients.stream().map(c -> c.endpoint().id()).toList();
    }

    /**
     * Asks each client what it hosts, all Describe calls in flight at once, so endpoints that do not
     * answer cost one call timeout, not one each. One that does not answer keeps its entry in
     * {@code previous}, or is left out.
     */
    static Map<String, DescribeResponse> describe(List<ExpertClient> clients,
            Map<String, DescribeResponse> previous) {
        List<ListenableFuture<DescribeResponse>> calls = clients.stream().map(ExpertClient::describe).toList();
        Map<String, DescribeResponse> descriptions = new HashMap<>();
        for (int i = 0; i < clients.size(); i++) {
            String id = clients.get(i).endpoint().id();
            try {
                // bounded by the call's deadline
                descriptions.put(id, Uninterruptibles.getUninterruptibly(calls.get(i)));
            } catch (ExecutionException e) {
                DescribeResponse kept = previous.get(id);
                LOG.warn("expert endpoint {} did not answer Describe ({}); {}", id, e.getCause().toString(),
                        kept != null ? "keeping its previous description" : "it hosts nothing until it answers");
                if (kept != null) {
                    descriptions.put(id, kept);
                }
            }
        }
        return descriptions;
    }

    /** @throws IncompatibleEndpointException when endpoint {@code id} describes another model than this one's */
    void checkCompatible(String id, DescribeResponse d) {
        checkCompatible(id, d, hosts.length, numExperts, hiddenSize);
    }

    private static void checkCompatible(String id, DescribeResponse d, int numLayers, int numExperts,
            int hiddenSize) {
        if (d.getHiddenSize() != hiddenSize) {
            throw new IncompatibleEndpointException("expert endpoint " + id + " serves hidden size "
                    + d.getHiddenSize() + " but the router's model has " + hiddenSize + ": wrong model?");
        }
        for (Unit u : d.getUnitsList()) {
            if (u.getLayer() < 0 || u.getLayer() >= numLayers || u.getExpert() < 0 || u.getExpert() >= numExperts) {
                throw new IncompatibleEndpointException("expert endpoint " + id + " hosts unit (" + u.getLayer()
                        + ", " + u.getExpert() + ") outside the model's " + numLayers + " layers x " + numExperts
                        + " experts");
            }
        }
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /** {@code hosts(layer)[expert]}: indices of the endpoints hosting that unit. */
    int[][] hosts(int layer) {
        return hosts[layer];
    }

    /** Endpoint indices hosting {@code (layer, expert)}. */
    public int[] hostsOf(int layer, int expert) {
        return hosts[layer][expert].clone();
    }

    /** The endpoint's last Describe answer; empty if it never answered. */
    public Optional<DescribeResponse> description(String endpointId) {
        return Optional.ofNullable(descriptions.get(endpointId));
    }

    /** Whether both send every unit to the same endpoints (descriptions may differ in what routing ignores). */
    boolean routesLike(ExpertTopology other) {
        return Arrays.deepEquals(hosts, other.hosts);
    }
}
