package io.moemesh.placement.round;

import io.moemesh.core.placement.ClusterShape;

/**
 * How the controller plans.
 *
 * @param memoryBudget     units hosted over one copy of every unit (1.25 = 25% more expert memory)
 * @param perServiceCap    most units one service (pod) may hold; 0 = its own units plus half as many
 * @param balanceBound     max/mean service load a plan may reach (unless the default is already worse)
 * @param maxReplicas      replica targets range over 1..maxReplicas
 * @param minGain          relative cut of expected remote calls a candidate must bring to replace the
 *                         live placement (hysteresis: a re-placement costs work, noise must not trigger one)
 * @param minWindowTokens  tokens the statistics window must hold before the controller plans
 * @param dryRun           plan and report, never change anything
 */
public record PlacementSettings(double memoryBudget, int perServiceCap, double balanceBound, int maxReplicas,
        double minGain, long minWindowTokens, boolean dryRun) {

    public PlacementSettings {
        if (!(memoryBudget >= 1)) {
            throw new IllegalArgumentException("memory budget must be >= 1 (one copy of every unit), got " + memoryBudget);
        }
        if (!(minGain >= 0 && minGain < 1)) {
            throw new IllegalArgumentException("min gain must be in [0, 1), got " + minGain);
        }
        if (perServiceCap < 0 || maxReplicas < 1 || minWindowTokens < 0 || !(balanceBound >= 1)) {
            throw new IllegalArgumentException("need per-service cap >= 0, max replicas >= 1, min window tokens >= 0"
                    + " and balance bound >= 1; got " + perServiceCap + ", " + maxReplicas + ", " + minWindowTokens
                    + ", " + balanceBound);
        }
    }

    ClusterShape shape(int numLayers, int numExperts, int hiddenSize) {
        int units = numLayers * numExperts;
        int cap = perServiceCap > 0 ? perServiceCap : numLayers + Math.max(1, numLayers / 2);
        return new ClusterShape(numLayers, numExperts, (int) Math.floor(units * memoryBudget + 1e-9),
                Math.max(cap, numLayers), balanceBound, hiddenSize, 1, maxReplicas);
    }
}
