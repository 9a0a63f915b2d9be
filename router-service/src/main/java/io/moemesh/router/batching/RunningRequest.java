package io.moemesh.router.batching;

import io.moemesh.core.engine.ActiveSequence;
import io.moemesh.router.tracing.RequestSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A request in the running batch: its sequence state, its sink and the experts it was routed away from. */
final class RunningRequest {

    final ActiveSequence sequence;
    final GenerationSink sink;
    final KvCacheBudget.Reservation kv; // released when the request leaves the batch
    private final Map<Long, Integer> skipped = new TreeMap<>(); // layer << 32 | expert -> token count
    private final Map<Long, Integer> pruned = new TreeMap<>(); // the same, for experts pruned by plan
    private final boolean refusePruned;
    private PrunedExpertRefusedException refused; // the first pruned expert a refusing request's token wanted
    int tokensAfterCancel; // tokens handed to the sink after its client had gone

    /** @param refusePruned end the request rather than serve it by an expert standing in for a pruned one */
    RunningRequest(ActiveSequence sequence, GenerationSink sink, KvCacheBudget.Reservation kv, boolean refusePruned) {
        this.sequence = sequence;
        this.sink = sink;
        this.kv = kv;
        this.refusePruned = refusePruned;
    }

    static RequestSpan span(RunningRequest r) {
        return r.sink.span();
    }

    void skip(int layer, int expert) {
        skipped.merge(((long) layer << 32) | expert, 1, Integer::sum);
    }

    void prune(int layer, int expert) {
        pruned.merge(((long) layer << 32) | expert, 1, Integer::sum);
        if (refusePruned && refused == null) {
            refused = new PrunedExpertRefusedException(layer, expert);
        }
    }

    /** Why this request must end now, or {@code null}: it refuses pruned experts and a token wanted one. */
    PrunedExpertRefusedException refused() {
        return refused;
    }

    List<ReroutedExpert> skipped() {
        return list(skipped);
    }

    List<ReroutedExpert> pruned() {
        return list(pruned);
    }

    private static List<ReroutedExpert> list(Map<Long, Integer> counts) {
        List<ReroutedExpert> list = new ArrayList<>(counts.size());
        counts.forEach((key, n) -> list.add(new ReroutedExpert((int) (key >> 32), (int) (long) key, n)));
        return list;
    }
}
