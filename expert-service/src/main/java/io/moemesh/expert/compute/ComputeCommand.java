package io.moemesh.expert.compute;

import java.util.List;

/**
 * One layer step's tokens for this endpoint.
 *
 * @param hidden        {@code routes.size() × hiddenSize} input rows (already decoded and checked finite)
 * @param deadlineNanos on the batcher's ticker, or {@code MicroBatcher.NO_DEADLINE}
 */
public record ComputeCommand(String requestId, int layer, float[] hidden, List<TokenRoute> routes, long deadlineNanos) {

    public ComputeCommand {
        routes = List.copyOf(routes);
    }

    public int tokens() {
        return routes.size();
    }
}
