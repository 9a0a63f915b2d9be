package io.moemesh.core.placement;

/**
 * What a plan must fit: one expert service per expert ({@code numExperts} services), each hosting
 * its own expert of every layer, plus at most {@code maxTotalUnits - numLayers * numExperts}
 * partner units in total and at most {@code perServiceUnitCap} units on any one service (a pod's
 * memory). {@code balanceBound} caps max/mean service load; {@code hiddenSize} prices a remote call.
 */
public record ClusterShape(
        int numLayers, int numExperts, int maxTotalUnits, int perServiceUnitCap,
        double balanceBound, int hiddenSize, int minReplicas, int maxReplicas) {

    public ClusterShape {
        if (numLayers < 1 || numExperts < 2) {
            throw new IllegalArgumentException("need at least 1 layer and 2 experts, got "
                    + numLayers + " layers and " + numExperts + " experts");
        }
        if (maxTotalUnits < numLayers * numExperts) {
            throw new IllegalArgumentException("memory budget " + maxTotalUnits
                    + " units cannot hold the " + numLayers * numExperts + " units of the model once");
        }
        if (perServiceUnitCap < numLayers) {
            throw new IllegalArgumentException("per-service cap " + perServiceUnitCap
                    + " units cannot hold a service's own expert of all " + numLayers + " layers");
        }
        if (!(balanceBound >= 1) || hiddenSize < 1 || minReplicas < 1 || maxReplicas < minReplicas) {
            throw new IllegalArgumentException("need balance bound >= 1, hidden size >= 1 and "
                    + "1 <= min replicas <= max replicas; got " + balanceBound + ", " + hiddenSize
                    + ", " + minReplicas + ".." + maxReplicas);
        }
    }

    /** The defaults: 1.25x memory, a pod may hold 1.5x its own units, max/mean load 1.25, 1..4 replicas. */
    public static ClusterShape defaults(int numLayers, int numExperts, int hiddenSize) {
        int units = numLayers * numExperts;
        return new ClusterShape(numLayers, numExperts, units + units / 4,
                numLayers + Math.max(1, numLayers / 2), 1.25, hiddenSize, 1, 4);
    }

    public int baseUnits() {
        return numLayers * numExperts;
    }

    /** Partner units the budget allows on top of one copy of every unit. */
    public int extraUnits() {
        return maxTotalUnits - baseUnits();
    }

    public ClusterShape withBudget(int maxTotalUnits, int perServiceUnitCap) {
        return new ClusterShape(numLayers, numExperts, maxTotalUnits, perServiceUnitCap,
                balanceBound, hiddenSize, minReplicas, maxReplicas);
    }
}
