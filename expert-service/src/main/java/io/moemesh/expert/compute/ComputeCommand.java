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
            checked.add(TokenRoute.of(t, routes.get(t).experts(), routes.get(t).weights()));
        }
        routes = List.copyOf(checked);
    }

    public int tokens() {
        return routes.size();
    }
}
