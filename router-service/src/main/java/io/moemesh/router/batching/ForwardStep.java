package io.moemesh.router.batching;

import io.moemesh.core.engine.StepBatch;
import io.moemesh.core.model.DenseTransformer;
import io.moemesh.core.model.ExpertDispatch;
import io.moemesh.core.model.RoutingObserver;
import io.moemesh.router.tracing.StepSpans;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;

/**
 * The model half of a {@link BatchScheduler} step: one forward pass over the running requests, split
 * in two overlapping halves when {@link PingPong} finds the batch big enough, routed by the installed
 * pruned set, traced when a request is sampled and the step budget allows, and counted in the
 * scheduler's stats.
 */
final class ForwardStep implements AutoCloseable {

    /**
     * How long installing a pruned set waits for forward steps on the previous one: the default stall
     * timeout, since a step slower than that already marks the scheduler stalled.
     */
    private static final Duration PRUNING_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final DenseTransformer dense;
    private final ExpertDispatch experts;
    private final RoutingObserver statistics;
    private final SchedulerStats stats;
    private final StepSpans stepSpans;
    private final PingPong pingPong;
    private final LivePruning pruning = new LivePruning(PRUNING_DRAIN_TIMEOUT);

    ForwardStep(DenseTransformer dense, ExpertDispatch experts, RoutingObserver statistics, SchedulerStats stats,
            StepSpans stepSpans, int pingPongMinTokens) {
        this.dense = dense;
        this.experts = experts;
        this.statistics = statistics;
        this.stats = stats;
        this.stepSpans = stepSpans;
        this.pingPong = new PingPong(pingPongMinTokens);
    }

    LivePruning pruning() {
        return pruning;
    }

    /** The logits of every request in {@code batch}, {@code vocab} floats each, in order. */
    float[] forward(List<RunningRequest> batch) {
        long start = System.nanoTime();
        float[] logits = pingPong.forward(batch, ForwardStep::stepTokens, this::forwardOnThisThread);
        stats.forwarded(batch.stream().mapToInt(ForwardStep::stepTokens).sum(), System.nanoTime() - start);
        return logits;
    }

    /** Tokens a request adds to a step: its prompt until it is prefilled, then one. */
    private static int stepTokens(RunningRequest r) {
        return r.sequence.prefilled() ? 1 : r.sequence.promptIds().length;
    }

    /** One forward pass over {@code requests}, on the calling thread. */
    private float[] forwardOnThisThread(List<RunningRequest> requests) {
        StepBatch step = StepBatch.of(requests.stream().map(r -> r.sequence).toList());
        BitSet degraded = new BitSet();
        StepSpans.Step traced = stepSpans.start(requests, RunningRequest::span, step.owner().length); // null: untraced
        try (LivePruning.Step pruned = pruning.enter()) {
            float[] logits = dense.forward(step.batch(), experts, pruned.experts(),
                    new StepObserver(statistics, stats, requests, step.owner(), degraded));
            stats.degraded(degraded.cardinality());
            return logits;
        } catch (RuntimeException | Error e) {
            if (traced != null) {
                traced.failed(e);
            }
            throw e;
        } finally {
            if (traced != null) {
                traced.end();
            }
        }
    }

    @Override
    public void close() {
        pingPong.close();
    }
}
