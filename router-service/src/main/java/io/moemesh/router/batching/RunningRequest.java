package io.moemesh.router.batching;

import io.moemesh.core.engine.ActiveSequence;
import io.moemesh.router.tracing.RequestSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A request in the running batch: its sequence state, its sink and the experts it had to skip. */
final class RunningRequest {

    final ActiveSequence sequence;
    final GenerationSink sink;
    final KvCacheBudget.Reservation kv; // released when the request leaves the batch
    private final Map<Long, Integer> skipped = new TreeMap<>(); // layer << 32 | expert -> token count
    int tokensAfterCancel; // tokens handed to the sink after its client had gone

    RunningRequest(ActiveSequence sequence, GenerationSink sink, KvCacheBudget.Reservation kv) {
        this.sequence = sequence;
        this.sink = sink;
        this.kv = kv;
    }

    static RequestSpan span(RunningRequest r) {
        return r.sink.span();
    }

    void skip(int layer, int expert) {
        skipped.merge(((long) layer << 32) | expert, 1, Integer::sum);
    }

    List<SkippedExpert> skipped() {
        List<SkippedExpert> list = new ArrayList<>(skipped.size());
        skipped.forEach((key, n) -> list.add(new SkippedExpert((int) (key >> 32), (int) (long) key, n)));
        return list;
    }
}
