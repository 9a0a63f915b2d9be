package io.moemesh.router.batching;

import io.moemesh.core.gate.GateDecision;
import io.moemesh.core.model.RoutingObserver;
import java.util.BitSet;
import java.util.List;

/**
 * What one forward step's routing tells the scheduler: every decision goes on to the router's
 * routing statistics, and a skipped or pruned expert is charged to the request that owns the token.
 *
 */
final class StepObserver implements RoutingObserver {

    private final RoutingObserver statistics;
    private final SchedulerStats stats;
    private final List<RunningRequest> requests;
    private final int[] owner;
    private final BitSet degraded;

    /**
     * @param owner    the index in {@code requests} of each token in the step's batch
     * @param degraded collects the tokens (indices in the step's batch) that missed an unavailable expert;
     *                 tokens routed away from a pruned expert are counted per request, not degraded
     */
    StepObserver(RoutingObserver statistics, SchedulerStats stats, List<RunningRequest> requests, int[] owner,
            BitSet degraded) {
        this.statistics = statistics;
        this.stats = stats;
        this.requests = requests;
        this.owner = owner;
        this.degraded = degraded;
    }

    @Override
    public void onRoute(int layer, int token, GateDecision decision) {
        statistics.onRoute(layer, token, decision);
    }

    @Override
    public void onPrunedRoute(int layer, int token, GateDecision served, GateDecision wanted) {
        statistics.onPrunedRoute(layer, token, served, wanted);
    }

    @Override
    public void onSkip(int layer, int token, int expert) {
        requests.get(owner[token]).skip(layer, expert);
        degraded.set(token);
    }

    @Override
    public void onPrune(int layer, int token, int expert) {
        requests.get(owner[token]).prune(layer, expert);
        stats.prunedAway();
    }
}
