package io.moemesh.expert.batching;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.moemesh.expert.unit.UnitId;
import java.util.List;

/**
 * Spans of a Compute call's work on one unit, under the call's server span: the wait in the unit's
 * queue ({@code moemesh.expert.queue}), then the batch that computed it ({@code moemesh.expert.batch},
 * with the batch's tokens and requests: many calls share one batch, and each traced call gets its own
 * span of it). Work submitted outside a sampled span is not traced and allocates nothing here.
 */
public final class WorkSpans {

    public static final String QUEUE = "moemesh.expert.queue";
    public static final String BATCH = "moemesh.expert.batch";

    /** Never traces. */
    public static final WorkSpans OFF = new WorkSpans(Tracer.NOOP);

    private final Tracer tracer;

    public WorkSpans(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Starts the queue-wait span of {@code work} when a sampled span is current (the call's). */
    void queued(QueuedWork work, UnitId unit) {
        Span parent = tracer.currentSpan();
        if (parent == null || parent.isNoop()) {
            return;
        }
        Traced traced = new Traced(parent, tracer.nextSpan(parent).name(QUEUE).tag("moemesh.layer", unit.layer())
                .tag("moemesh.expert", unit.expert()).tag("moemesh.unit", unit.layer() + ":" + unit.expert())
                .tag("moemesh.tokens", work.tokens).start());
        work.trace = traced;
        work.result.whenComplete((rows, error) -> traced.ended(error));
    }

    /** {@code batch} leaves the queue as one batch of {@code tokens} tokens on {@code unit}. */
    void computing(List<QueuedWork> batch, UnitId unit, int tokens) {
        for (QueuedWork work : batch) {
            if (work.trace != null) {
                work.trace.computing(tracer, unit, tokens, batch.size());
            }
        }
    }

    /** One traced work's spans; ended from whichever thread completes the work. */
    static final class Traced {
        private final Span call;
        private Span open;

        private Traced(Span call, Span queue) {
            this.call = call;
            this.open = queue;
        }

        synchronized void computing(Tracer tracer, UnitId unit, int tokens, int requests) {
            if (open == null) {
                return;
            }
            open.end();
            open = tracer.nextSpan(call).name(BATCH).tag("moemesh.unit", unit.layer() + ":" + unit.expert())
                    .tag("moemesh.batch.tokens", tokens).tag("moemesh.batch.requests", requests).start();
        }

        synchronized void ended(Throwable error) {
            if (open == null) {
                return;
            }
            if (error != null) {
                open.error(error);
            }
            open.end();
            open = null;
        }
    }
}
