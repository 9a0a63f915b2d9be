package io.moemesh.expert.compute;

import java.util.ArrayList;
import java.util.List;

/**
 * One layer step's tokens for this endpoint. Every route is checked on the way in (see
 * {@link TokenRoute#of}), so no command with a malformed route reaches the experts.
 *
 * @param hidden        {@code routes.size() × hiddenSize} input rows (already decoded and checked finite)
 * @param deadlineNanos on the batcher's ticker, or {@code MicroBatcher.NO_DEADLINE}
 */
public record ComputeCommand(String requestId, int layer, float[] hidden, List<TokenRoute> routes, long deadlineNanos) {

    public ComputeCommand {
        if (routes.isEmpty()) {
            throw ComputeException.invalidArgument("request has no tokens: routes is empty");
        }
        List<TokenRoute> checked = new ArrayList<>(routes.size());
        for (int t = 0; t < routes.size(); t++) {
            TokenRoute route = routes.get(t);
            checked.add(TokenRoute.of(t, route.experts(), route.weights(), route.perUnit()));
        }
        routes = List.copyOf(checked);
    }

    public int tokens() {
        return routes.size();
    }

    /** Rows of the answer: per token one, or one per pair where the route asks for per-unit outputs. */
    public int outputRows() {
        int rows = 0;
        for (TokenRoute route : routes) {
            rows += route.outputRows();
        }
        return rows;
    }
}
