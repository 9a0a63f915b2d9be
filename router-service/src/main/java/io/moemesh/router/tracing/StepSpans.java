package io.moemesh.router.tracing;

import io.micrometer.tracing.Link;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Spans of the forward steps ({@code moemesh.step}). A step serves every request of the running
 * batch at once, but a span has one parent: the step's span is a child of the oldest sampled request
 * of the batch and links to the other sampled requests' spans, and says how many requests the step
 * served ({@code moemesh.batch.requests}). A step with no sampled request makes no span at all, and
 * neither do its layer steps and expert calls: with nothing sampled, {@link #start} walks the batch
 * and allocates nothing.
 *
 * <p>A step that holds a sampled request is traced only while the {@link StepTraceBudget} allows; one
 * it refuses is untraced like a step with nothing sampled (no spans, its expert calls go on the
 * per-endpoint stream without trace context), allocates nothing either, and is counted on each
 * sampled request's span ({@link RequestSpan#stepTraced()}, {@link RequestSpan#stepUntraced()}) so a
 * reader of the trace knows those steps are missing on purpose, and in {@link #skippedSteps()}.
 *
 * <p>The step's span is current on the thread that runs the step (the scheduler's, or the ping-pong
 * partner's for the second half of a step), where the layer steps find it ({@link #current()}).
 */
public final class StepSpans {

    public static final String NAME = "moemesh.step";
    static final String BATCH_REQUESTS = "moemesh.batch.requests";
    static final String BATCH_SAMPLED = "moemesh.batch.sampled";
    static final String BATCH_TOKENS = "moemesh.batch.tokens";

    /** Never traces. */
    public static final StepSpans OFF = new StepSpans(Tracer.NOOP);

    private final Tracer tracer;
    private final StepTraceBudget budget;
    private final ThreadLocal<Span> current = new ThreadLocal<>();
    private final LongAdder traced = new LongAdder();
    private final LongAdder skipped = new LongAdder();

    /** Traces every step that holds a sampled request ({@link StepTraceBudget#unlimited()}). */
    public StepSpans(Tracer tracer) {
        this(tracer, StepTraceBudget.unlimited());
    }

    /** Traces a step that holds a sampled request while {@code budget} allows. */
    public StepSpans(Tracer tracer, StepTraceBudget budget) {
        this.tracer = tracer;
        this.budget = budget;
    }

    public Tracer tracer() {
        return tracer;
    }

    /**
     * Starts the span of a step over {@code batch} on this thread, or returns null when no request
     * of it is sampled or the budget refuses the step.
     *
     * @param batch  the step's requests, oldest first
     * @param span   a request's span
     * @param tokens the tokens of the step
     */
    public <R> Step start(List<R> batch, Function<R, RequestSpan> span, int tokens) {
        int first = -1;
        int sampled = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (span.apply(batch.get(i)).sampled()) {
                first = first < 0 ? i : first;
                sampled++;
            }
        }
        if (first < 0) {
            return null;
        }
        boolean allowed = budget.tryTrace();
        countStep(batch, span, first, allowed);
        if (!allowed) {
            return null;
        }
        Span.Builder builder = tracer.spanBuilder().setParent(span.apply(batch.get(first)).span().context())
                .name(NAME).tag(BATCH_REQUESTS, batch.size()).tag(BATCH_SAMPLED, sampled).tag(BATCH_TOKENS, tokens);
        for (int i = first + 1; i < batch.size(); i++) {
            RequestSpan other = span.apply(batch.get(i));
            if (other.sampled()) {
                builder.addLink(new Link(other.span()));
            }
        }
        return new Step(builder.start());
    }

    /** Counts the step on the sampled requests' spans, from the first, and here. */
    private <R> void countStep(List<R> batch, Function<R, RequestSpan> span, int first, boolean allowed) {
        for (int i = first; i < batch.size(); i++) {
            RequestSpan request = span.apply(batch.get(i));
            if (allowed) {
                request.stepTraced();
            } else {
                request.stepUntraced();
            }
        }
        (allowed ? traced : skipped).increment();
    }

    /** Steps traced since start: those that held a sampled request and that the budget allowed. */
    public long tracedSteps() {
        return traced.sum();
    }

    /** Steps that held a sampled request but were not traced because the budget was spent. */
    public long skippedSteps() {
        return skipped.sum();
    }

    /** The span of the step running on this thread; null when it is not traced. */
    public Span current() {
        return current.get();
    }

    /** A traced step: current on its thread until {@link #end}. */
    public final class Step {
        private final Span span;
        private final Tracer.SpanInScope scope;

        private Step(Span span) {
            this.span = span;
            this.scope = tracer.withSpan(span);
            current.set(span);
        }

        public void failed(Throwable error) {
            span.error(error);
        }

        /** Ends the span; call on the thread that started it. */
        public void end() {
            current.set(null); // not remove(): the next get() would allocate a new entry
            scope.close();
            span.end();
        }
    }
}
