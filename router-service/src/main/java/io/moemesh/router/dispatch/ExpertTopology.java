package io.moemesh.router.dispatch;

import io.grpc.StatusRuntimeException;
import io.moemesh.proto.internal.v1.DescribeResponse;
import io.moemesh.proto.internal.v1.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Which endpoints host which units, as the endpoints themselves describe it. A unit no endpoint
 * hosts is simply unavailable: the router still serves, degraded, instead of refusing to start.
 */
public final class ExpertTopology {

    private static final Logger LOG = Logger.getLogger(ExpertTopology.class.getName());

    private final int hiddenSize;
    private final int[][][] hosts; // [layer][expert] -> endpoint indices

    ExpertTopology(int hiddenSize, int[][][] hosts) {
        this.hiddenSize = hiddenSize;
        this.hosts = hosts;
    }

    static ExpertTopology discover(List<ExpertClient> clients, int numLayers, int numExperts, int hiddenSize) {
        List<List<List<Integer>>> lists = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            List<List<Integer>> layer = new ArrayList<>();
            for (int e = 0; e < numExperts; e++) {
                layer.add(new ArrayList<>());
            }
            lists.add(layer);
        }
        for (int i = 0; i < clients.size(); i++) {
            ExpertClient client = clients.get(i);
            DescribeResponse d;
            try {
                d = client.describe();
            } catch (StatusRuntimeException e) {
                LOG.warning("expert endpoint " + client.endpoint().id() + " did not answer Describe: " + e.getStatus());
                continue;
            }
            if (d.getHiddenSize() != hiddenSize) {
                throw new IllegalStateException("expert endpoint " + client.endpoint().id() + " serves hidden size "
                        + d.getHiddenSize() + " but the router's model has " + hiddenSize + ": wrong model?");
            }
            for (Unit u : d.getUnitsList()) {
                if (u.getLayer() < 0 || u.getLayer() >= numLayers || u.getExpert() < 0 || u.getExpert() >= numExperts) {
                    throw new IllegalStateException("expert endpoint " + client.endpoint().id() + " hosts unit ("
                            + u.getLayer() + ", " + u.getExpert() + ") outside the model's " + numLayers + " layers x "
                            + numExperts + " experts");
                }
                lists.get(u.getLayer()).get(u.getExpert()).add(i);
            }
        }
        int[][][] hosts = new int[numLayers][numExperts][];
        for (int l = 0; l < numLayers; l++) {
            for (int e = 0; e < numExperts; e++) {
                hosts[l][e] = lists.get(l).get(e).stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return new ExpertTopology(hiddenSize, hosts);
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
}
